import CoreMetrics
import Foundation
import Logging

/// A daemon's confidential client: configuration → credential → token request → (cache) → caller.
///
/// Owns one HTTP client; call ``shutdown()`` when done.
///
/// ```swift
/// let client = try ConfidentialClient(configuration: .init(
///     clientID: "00000000-0000-0000-0000-000000000001",
///     authority: try .microsoft(tenant: "contoso.onmicrosoft.com"),
///     credential: ClientSecretCredential(secret: secret)))
/// let token = try await client.token(scope: "https://graph.microsoft.com/.default")
/// ```
public final class ConfidentialClient: TokenSource {
    /// Everything the client needs, with documented defaults.
    public struct Configuration: Sendable {
        /// The application (client) ID.
        public var clientID: String
        /// Where tokens come from.
        public var authority: Authority
        /// How the client proves its identity.
        public var credential: any ClientCredential
        /// HTTP settings (timeouts, CA file, proxy).
        public var http = HTTPConfiguration()
        /// The wall clock (tests inject one). Default: the system clock.
        public var now: @Sendable () -> Date = { Date() }
        /// Client capabilities sent with every request as `claims` `{"access_token":{"xms_cc":{"values":[…]}}}`;
        /// `["cp1"]` tells Entra the daemon handles claims challenges, so it may issue CAE tokens. Default none.
        public var clientCapabilities: [String] = []
        /// A regional token service for Microsoft authorities (``AzureRegion``), with fallback to the global endpoint.
        /// Default none: a region from the environment is explicit — ``AzureRegion/fromEnvironment(_:)`` (which
        /// throws for an invalid `REGION_NAME`), or ``init(configReader:places:http:managedIdentityEndpoint:)``.
        public var region: AzureRegion? = nil
        /// The token cache's policy (its clock is replaced by ``now``).
        public var cache = TokenCachePolicy()

        /// A configuration with these three settings and every other at its default.
        public init(clientID: String, authority: Authority, credential: any ClientCredential) {
            self.clientID = clientID
            self.authority = authority
            self.credential = credential
        }
    }

    /// The configuration the client was made with.
    public let configuration: Configuration
    /// The uncached source: every call is one request to the identity provider.
    public let identityProvider: IdentityProviderTokenSource
    /// The cache in front of it: what ``token(for:)`` uses.
    public let cache: CachingTokenSource
    let transport: HTTPTransport

    /// - Parameters:
    ///   - logger: where decisions are logged (never a secret or token). Default: discards.
    ///   - metricsFactory: where counters go. Default: discards.
    public init(
        configuration: Configuration,
        logger: Logger = Logger(label: "tessera", factory: { _ in SwiftLogNoOpLogHandler() }),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws(IdentityError) {
        let clientID = configuration.clientID.trimmingCharacters(in: .whitespaces)
        guard !clientID.isEmpty, clientID.count <= 256, !clientID.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw IdentityError(
                .invalidConfiguration,
                "the client ID is empty or malformed; use the app registration's Application (client) ID, a GUID"
            )
        }
        let target = try EndpointURL(Self.targetURL(of: configuration.authority), what: "authority")
        self.configuration = configuration
        self.transport = try HTTPTransport(
            configuration: configuration.http,
            targetScheme: target.components.scheme ?? "https",
            targetHost: target.host
        )
        self.identityProvider = IdentityProviderTokenSource(
            clientID: clientID,
            authority: configuration.authority,
            credential: configuration.credential,
            transport: transport,
            now: configuration.now,
            logger: logger,
            metrics: ClientMetrics(factory: metricsFactory),
            clientCapabilities: configuration.clientCapabilities,
            regional: Self.regionalRouting(configuration)
        )
        var policy = configuration.cache
        policy.now = configuration.now
        self.cache = CachingTokenSource(
            upstream: identityProvider,
            defaultTenant: configuration.authority.defaultTenant,
            partition: "\(configuration.authority.host)|\(clientID)|\(configuration.credential.identity)",
            policy: policy,
            logger: logger,
            metricsFactory: metricsFactory
        )
    }

    static func regionalRouting(_ configuration: Configuration) -> RegionalRouting? {
        guard let region = configuration.region, case .microsoft(let cloud, _) = configuration.authority.kind,
            region.baseURL(in: cloud) != nil
        else { return nil }
        return RegionalRouting(region: region, cloud: cloud)
    }

    static func targetURL(of authority: Authority) -> String {
        switch authority.kind {
        case .microsoft(let cloud, _): return cloud.baseURL
        case .oidc(_, .some(let endpoint)): return endpoint.string
        case .oidc(let issuer, .none): return issuer.string
        }
    }

    /// A token from the cache, or from the identity provider when none is usable.
    public func token(for request: TokenRequest) async throws -> AccessToken {
        try await cache.token(for: request)
    }

    /// Shuts the HTTP client down. Call once, when the daemon stops.
    public func shutdown() async throws {
        try await transport.shutdown()
    }
}
