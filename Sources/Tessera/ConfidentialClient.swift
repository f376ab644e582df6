import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import TesseraJOSE

/// A daemon's confidential client: configuration → credential → token request → (cache) → caller.
///
/// A `Service` (as postgres-nio's `PostgresClient`): tokens are served from the moment it is made, and ``run()``
/// hosts the proactive background refreshes until graceful shutdown or cancellation, then ends its work and shuts
/// down the HTTP pool it owns. ``withConfidentialClient(configuration:httpClient:logger:metricsFactory:_:)`` does all
/// of that around a closure; a daemon puts the client in its `ServiceGroup`.
///
/// ```swift
/// try await withConfidentialClient(configuration: .init(
///     clientID: "00000000-0000-0000-0000-000000000001",
///     authority: try .microsoft(tenant: "contoso.onmicrosoft.com"),
///     credential: ClientSecretCredential(secret: secret))) { client in
///     let token = try await client.token(scope: "https://graph.microsoft.com/.default")
/// }
/// ```
public final class ConfidentialClient: TokenSource, Service {
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
        /// The wall clock (tests inject one) of the client and its cache. Default: the system clock at its tick
        /// resolution, as ``TokenCachePolicy/now`` (a few milliseconds at most behind `Date()`, read in a fifth of
        /// the time: every cache hit reads it).
        public var now: @Sendable () -> Date = { CoarseWallClock.now() }
        /// Client capabilities sent with every request as `claims` `{"access_token":{"xms_cc":{"values":[…]}}}`;
        /// `["cp1"]` tells Entra the daemon handles claims challenges, so it may issue CAE tokens. Default none.
        public var clientCapabilities: [String] = []
        /// A regional token service for Microsoft authorities (``AzureRegion``), with fallback to the global endpoint.
        /// Default none: a region from the environment is explicit — ``AzureRegion/fromEnvironment(_:)`` (which
        /// throws for an invalid `REGION_NAME`), or ``init(configReader:places:http:managedIdentityEndpoint:)``.
        public var region: AzureRegion? = nil
        /// The token cache's policy (its clock is replaced by ``now``).
        public var cache = TokenCachePolicy()
        /// The fleet's second-level token cache (`TesseraPostgres`'s `PostgresTokenCache`), shared by every replica:
        /// one token request per key across the fleet, and a `Retry-After` every replica honours. Run it (it is a
        /// `Service`) beside the client. Default none: this process's memory only.
        public var sharedCache: (any SharedTokenCache)? = nil

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
    /// The HTTP pool token requests go through: the one given, or one the client made and owns. Pass it to a
    /// ``DownstreamAPIClient`` (its `client:` initializer does) or an OpenAPI transport to share it.
    public var httpClient: HTTPClient { transport.client }
    let transport: HTTPTransport
    /// The identity provider's own tasks (OIDC discovery).
    let tasks: OwnedTasks

    /// - Parameters:
    ///   - httpClient: the pool to send through, never shut down by the client (its own TLS, proxy, connect-timeout
    ///     and redirect settings then apply; keep redirects off). Default `nil`: the client makes one from
    ///     ``Configuration/http`` and shuts it down when ``run()`` ends or ``shutdown()`` is called.
    ///   - logger: where decisions are logged (never a secret or token). Default: discards.
    ///   - metricsFactory: where counters go. Default: discards.
    public init(
        configuration: Configuration,
        httpClient: HTTPClient? = nil,
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
            targetHost: target.host,
            httpClient: httpClient
        )
        let tasks = OwnedTasks()
        self.tasks = tasks
        self.identityProvider = IdentityProviderTokenSource(
            clientID: clientID,
            authority: configuration.authority,
            credential: configuration.credential,
            transport: transport,
            tasks: tasks,
            now: configuration.now,
            logger: logger,
            metrics: ClientMetrics(factory: metricsFactory),
            clientCapabilities: configuration.clientCapabilities,
            regional: Self.regionalRouting(configuration),
            failurePolicy: configuration.cache.failurePolicy
        )
        var policy = configuration.cache
        policy.now = configuration.now
        policy.requestTimeout = policy.requestTimeout ?? configuration.http.requestTimeout * 2
        self.cache = CachingTokenSource(
            upstream: identityProvider,
            defaultTenant: configuration.authority.defaultTenant,
            partition: "\(configuration.authority.cacheIdentity)|\(clientID)|\(configuration.credential.identity)",
            sharedPartition: "\(configuration.authority.cacheIdentity)|\(clientID)|"
                + configuration.credential.sharedCacheIdentity,
            policy: policy,
            sharedCache: configuration.sharedCache,
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

    /// Hosts proactive refreshes until graceful shutdown, cancellation or ``shutdown()``; then lets the in-flight
    /// refreshes end (within the cache's request timeout), cancels and awaits the client's other tasks, and shuts down
    /// a pool the client owns. Tokens are served without it; only proactive refresh needs it.
    public func run() async throws {
        try await cache.run()
        try await shutdown()
    }

    /// Ends the client: no refresh starts, in-flight ones end, shared fetches and discovery are cancelled and awaited,
    /// an owned pool is shut down (an injected one is left running), ``run()`` returns. Later requests that need the
    /// identity provider fail with ``IdentityError/Code/clientShutDown``. Safe to call more than once.
    public func shutdown() async throws {
        await cache.shutdown()
        await tasks.shutdown()
        try await transport.shutdown()
    }
}

/// Runs `body` with a client made from `configuration`, its ``ConfidentialClient/run()`` in a child task for the
/// body's duration (proactive refreshes), then shuts the client down — also when `body` throws — and returns what
/// `body` returned. The shape of AsyncHTTPClient's `withHTTPClient`.
///
/// ```swift
/// try await withConfidentialClient(configuration: configuration) { client in
///     let graph = try DownstreamAPIClient(api: .graph(), client: client)
///     let users = try await graph.allPages("users", of: User.self)
/// }
/// ```
public func withConfidentialClient<Value: Sendable>(
    configuration: ConfidentialClient.Configuration,
    httpClient: HTTPClient? = nil,
    logger: Logger = Logger(label: "tessera", factory: { _ in SwiftLogNoOpLogHandler() }),
    metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
    _ body: (ConfidentialClient) async throws -> Value
) async throws -> Value {
    let client = try ConfidentialClient(
        configuration: configuration,
        httpClient: httpClient,
        logger: logger,
        metricsFactory: metricsFactory
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await client.run() }
        let result: Value
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            try? await group.waitForAll()
            throw error
        }
        try await client.shutdown()
        try await group.waitForAll()
        return result
    }
}
