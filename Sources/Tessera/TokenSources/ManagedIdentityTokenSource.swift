import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOHTTP1
import Synchronization
import TesseraJOSE

/// Tokens of an Azure managed identity: no secret at all. From IMDS on VMs, VM scale sets and AKS
/// (`GET {IMDS}/metadata/identity/oauth2/token`, `Metadata: true`), or from App Service / Functions / Container Apps
/// (`IDENTITY_ENDPOINT` with `X-IDENTITY-HEADER: $IDENTITY_HEADER`). Uncached: put a ``CachingTokenSource`` in front,
/// or use ``ManagedIdentityTokenSource/cached(logger:metricsFactory:)``.
///
/// ```swift
/// let identity = try ManagedIdentityTokenSource(identity: .clientID("…"))   // or .system
/// let token = try await identity.token(scope: "https://graph.microsoft.com/.default")
/// ```
public final class ManagedIdentityTokenSource: TokenSource {
    /// Which identity: the host's system-assigned one, or a user-assigned one by client ID, object ID or resource ID.
    public enum Identity: Sendable, Hashable, CustomStringConvertible {
        /// The host's system-assigned identity.
        case system
        /// A user-assigned identity by its client ID.
        case clientID(String)
        /// A user-assigned identity by its object (principal) ID.
        case objectID(String)
        /// A user-assigned identity by its Azure resource ID.
        case resourceID(String)

        /// `system-assigned`, or the kind of ID and the ID (e.g. `client_id …`).
        public var description: String {
            switch self {
            case .system: return "system-assigned"
            case .clientID(let id): return "client_id \(id)"
            case .objectID(let id): return "object_id \(id)"
            case .resourceID(let id): return "resource \(id)"
            }
        }
    }

    /// Where the host serves managed-identity tokens.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case imds(String)
            case appService(String, header: String)
        }
        let kind: Kind

        /// IMDS at `base` (default `http://169.254.169.254`; tests and AKS pod identity point elsewhere).
        public static func imds(_ base: String = "http://169.254.169.254") -> Endpoint {
            Endpoint(kind: .imds(base.hasSuffix("/") ? String(base.dropLast()) : base))
        }
        /// App Service's `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`.
        public static func appService(endpoint: String, header: String) -> Endpoint {
            Endpoint(kind: .appService(endpoint, header: header))
        }

        /// As Azure Identity reads the environment: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service), else IMDS at
        /// `AZURE_POD_IDENTITY_AUTHORITY_HOST` or the link-local default.
        public static func fromEnvironment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment
        ) -> Endpoint {
            if let endpoint = environment["IDENTITY_ENDPOINT"], !endpoint.isEmpty,
                let header = environment["IDENTITY_HEADER"], !header.isEmpty
            {
                return .appService(endpoint: endpoint, header: header)
            }
            return .imds(
                environment["AZURE_POD_IDENTITY_AUTHORITY_HOST"].flatMap { $0.isEmpty ? nil : $0 }
                    ?? "http://169.254.169.254"
            )
        }

        /// `IMDS at …` or `App Service identity endpoint …`; never the identity header.
        public var description: String {
            switch kind {
            case .imds(let base): return "IMDS at \(base)"
            case .appService(let endpoint, _): return "App Service identity endpoint \(endpoint)"
            }
        }
    }

    /// Which identity's tokens are requested.
    public let identity: Identity
    /// Where they are requested.
    public let endpoint: Endpoint
    /// How long connecting to IMDS may take until it has answered once; longer means IMDS is absent (not on Azure).
    /// Later requests use the normal timeouts; an absent IMDS is asked again next time (a failed probe is not
    /// remembered).
    public let probeTimeout: Duration
    let http: HTTPConfiguration
    let target: (scheme: String, host: String)
    let now: @Sendable () -> Date
    let logger: Logger
    private let reachable = Mutex(false)

    /// A source for `identity` (default system-assigned) at `endpoint` (default: from the environment), never through a
    /// proxy. An endpoint that is not a URL, or App Service's over plain HTTP off this host, is
    /// ``IdentityError/Code/invalidConfiguration``.
    public init(
        identity: Identity = .system,
        endpoint: Endpoint = .fromEnvironment(),
        http: HTTPConfiguration = HTTPConfiguration(),
        probeTimeout: Duration = .seconds(1),
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "tessera", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(IdentityError) {
        var http = http
        http.proxy = .none  // IMDS and the App Service endpoint are host-local: never through a proxy
        let url: String
        switch endpoint.kind {
        case .imds(let base): url = base
        case .appService(let endpoint, _): url = endpoint
        }
        guard let components = URLComponents(string: url), let host = components.encodedHost else {
            throw IdentityError(
                .invalidConfiguration,
                "the managed identity endpoint '\(url)' is not a URL (IDENTITY_ENDPOINT / AZURE_POD_IDENTITY_AUTHORITY_HOST)"
            )
        }
        // The App Service secret travels in a header: over plain HTTP only to this host.
        if case .appService = endpoint.kind, components.scheme?.lowercased() != "https", !EndpointURL.isLoopback(host) {
            throw IdentityError(
                .invalidConfiguration,
                "IDENTITY_ENDPOINT '\(host)' uses http:// off this host; the identity header would travel in clear: use https:// or a loopback address"
            )
        }
        self.http = http
        self.target = (components.scheme ?? "http", host)
        _ = try HTTPTransport.checkCAFile(http)
        self.identity = identity
        self.endpoint = endpoint
        self.probeTimeout = probeTimeout
        self.now = now
        self.logger = logger
    }

    /// This source behind a token cache (refresh before expiry, single flight, back-off), as a daemon should use it.
    public func cached(
        logger: Logger? = nil,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) -> CachingTokenSource {
        CachingTokenSource(
            upstream: self,
            defaultTenant: nil,
            partition: "managed-identity|\(endpoint)|\(identity)",
            policy: TokenCachePolicy(),
            logger: logger ?? self.logger,
            metricsFactory: metricsFactory
        )
    }

    /// Nothing to release: each token request (about once a day per resource, behind a cache) uses its own connection,
    /// so the source has no lifecycle to manage. Kept for symmetry with the clients.
    public func shutdown() async throws {}

    /// One uncached token for the request's single scope (its resource: the scope without `/.default`), from the
    /// identity's own tenant. An IMDS that has never answered and does not now is
    /// ``IdentityError/Code/credentialUnavailable``.
    public func token(for request: TokenRequest) async throws -> AccessToken {
        guard request.scopes.count == 1, let scope = request.scopes.first, !scope.isEmpty else {
            throw IdentityError(
                .invalidScope,
                "a managed identity token is for exactly one resource: give one scope such as https://graph.microsoft.com/.default"
            )
        }
        guard request.tenant == nil else {
            throw IdentityError(
                .invalidRequest,
                "a managed identity's tokens come from its own tenant; do not set a tenant for it"
            )
        }
        let resource = scope.hasSuffix("/.default") ? String(scope.dropLast("/.default".count)) : scope
        var call = HTTPClientRequest(url: url(resource: resource))
        call.headers.add(name: "Accept", value: "application/json")
        switch endpoint.kind {
        case .imds: call.headers.add(name: "Metadata", value: "true")
        case .appService(_, let header): call.headers.add(name: "X-IDENTITY-HEADER", value: header)
        }
        // Until IMDS has answered once, connecting to it is bounded by the probe timeout (off Azure nothing listens, or
        // packets are dropped); after that, the normal timeouts apply.
        var probing = false
        if case .imds = endpoint.kind { probing = !reachable.withLock { $0 } }
        var configuration = http
        if probing { configuration.connectTimeout = min(configuration.connectTimeout, probeTimeout) }
        let sentAt = now()
        let answer: HTTPTransport.Answer
        let transport = try HTTPTransport(
            configuration: configuration,
            targetScheme: target.scheme,
            targetHost: target.host
        )
        do {
            answer = try await transport.sendForToken(call, what: "managed identity")
            try? await transport.shutdown()
        } catch let error as IdentityError {
            try? await transport.shutdown()
            guard probing, [.network, .timeout, .tls].contains(error.code) else { throw error }
            throw IdentityError(
                .credentialUnavailable,
                "no managed identity: \(endpoint) did not answer (\(error.code), connect bounded to \(probeTimeout)). "
                    + "Run on an Azure host with a managed identity, or use another credential"
            )
        } catch {
            try? await transport.shutdown()  // cancelled
            throw error
        }
        reachable.withLock { $0 = true }
        return try Self.parse(
            answer,
            resource: resource,
            scope: scope,
            identity: identity,
            endpoint: endpoint,
            sentAt: sentAt
        )
    }

    func url(resource: String) -> String {
        var components: URLComponents
        var items: [URLQueryItem] = [URLQueryItem(name: "resource", value: resource)]
        switch endpoint.kind {
        case .imds(let base):
            components = URLComponents(string: base + "/metadata/identity/oauth2/token") ?? URLComponents()
            items.insert(URLQueryItem(name: "api-version", value: "2018-02-01"), at: 0)
            switch identity {
            case .system: break
            case .clientID(let id): items.append(URLQueryItem(name: "client_id", value: id))
            case .objectID(let id): items.append(URLQueryItem(name: "object_id", value: id))
            case .resourceID(let id): items.append(URLQueryItem(name: "msi_res_id", value: id))
            }
        case .appService(let endpoint, _):
            components = URLComponents(string: endpoint) ?? URLComponents()
            items.insert(URLQueryItem(name: "api-version", value: "2019-08-01"), at: 0)
            switch identity {
            case .system: break
            case .clientID(let id): items.append(URLQueryItem(name: "client_id", value: id))
            case .objectID(let id): items.append(URLQueryItem(name: "principal_id", value: id))
            case .resourceID(let id): items.append(URLQueryItem(name: "mi_res_id", value: id))
            }
        }
        components.queryItems = items
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? ""
    }

    /// IMDS and App Service answers: times as strings or numbers; errors as `{error, error_description}` or
    /// `{statusCode, message}`.
    static func parse(
        _ answer: HTTPTransport.Answer,
        resource: String,
        scope: String,
        identity: Identity,
        endpoint: Endpoint,
        sentAt: Date
    ) throws(IdentityError) -> AccessToken {
        let object = try? StrictJSON.parseObject(answer.body)
        func number(_ key: String) -> Int64? {
            object?[key]?.integerValue ?? object?[key]?.stringValue.flatMap { Int64($0) }
        }
        guard answer.status == 200 else {
            let said =
                object?["error_description"]?.stringValue ?? object?["message"]?.stringValue ?? "HTTP \(answer.status)"
            let code: IdentityError.Code =
                answer.status == 400 || answer.status == 404
                ? .credentialUnavailable : answer.status == 429 ? .throttled : .serverError
            throw IdentityError(
                code,
                "\(endpoint) refused a token for \(identity) and resource \(resource): \(said.prefix(300)). "
                    + "Check that the identity is assigned to this host and that the resource exists",
                httpStatus: answer.status,
                retryAfter: RetryAfter.parse(answer.headers.first(name: "Retry-After"), now: Date())
            )
        }
        guard let token = object?["access_token"]?.stringValue, !token.isEmpty else {
            throw IdentityError(.protocolViolation, "\(endpoint) answered 200 without an access_token", httpStatus: 200)
        }
        let expiresOn: Date
        if let epoch = number("expires_on") {
            expiresOn = Date(timeIntervalSince1970: TimeInterval(epoch))
        } else if let seconds = number("expires_in") {
            expiresOn = sentAt.addingTimeInterval(TimeInterval(seconds))
        } else {
            throw IdentityError(
                .protocolViolation,
                "\(endpoint) answered without expires_on or expires_in",
                httpStatus: 200
            )
        }
        let lifetime = number("expires_in") ?? Int64(expiresOn.timeIntervalSince(sentAt))
        return AccessToken(
            token: token,
            tokenType: object?["token_type"]?.stringValue ?? "Bearer",
            expiresOn: expiresOn,
            refreshOn: number("refresh_in").map { sentAt.addingTimeInterval(TimeInterval($0)) },
            lifetime: lifetime,
            scopes: [scope]
        )
    }
}
