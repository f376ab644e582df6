import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TesseraJOSE

/// Calls a downstream web API with the app's token: attaches the token for the API's scopes, answers a claims
/// challenge once (CAE), waits out `429`/`503` within a bound, follows Graph's `@odata.nextLink` paging on the API's
/// own origin, decodes typed JSON and maps Graph's error shape to ``DownstreamAPIError``.
///
/// ```swift
/// let graph = try DownstreamAPIClient(api: .graph(), tokenSource: client)
/// let users = try await graph.allPages("users", of: User.self)
/// ```
/// Owns one HTTP client; call ``shutdown()`` when done.
public final class DownstreamAPIClient: Sendable {
    /// How the caller talks to the API, with documented defaults.
    public struct Configuration: Sendable {
        /// HTTP settings. Defaults as ``HTTPConfiguration`` except a 60 s request timeout and a 16 MiB answer bound.
        public var http: HTTPConfiguration
        /// The longest `Retry-After` the caller waits out; a longer one fails at once with
        /// ``DownstreamAPIError/Code/throttled`` and the server's value. Default 60 s.
        public var maximumRetryAfter: Duration = .seconds(60)
        /// Retries of a `429`/`503` answer. Default 2.
        public var maximumRetries = 2
        /// The wait before a retry when a `429`/`503` carries no `Retry-After` (doubled per retry). Default 1 s.
        public var retryDelay: Duration = .seconds(1)
        /// At most this many pages are followed. Default 10,000.
        public var maximumPages = 10_000
        /// How the caller waits (tests inject one). Default `Task.sleep`.
        public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

        /// A configuration with every default.
        public init() {
            http = HTTPConfiguration()
            http.requestTimeout = .seconds(60)
            http.maximumResponseBytes = 16 << 20
        }
    }

    /// One call: method, path (relative to the API's base URL, or absolute on its origin), headers and body.
    public struct Request: Sendable {
        /// The HTTP method (the initializer upper-cases it). Default `GET`.
        public var method: String
        /// Relative to the API's base URL, or absolute on its origin; empty means the API's
        /// ``DownstreamAPI/relativePath``. Default empty.
        public var path: String
        /// Headers to send; `Authorization` is always the app's token, and `Accept` is `application/json` unless set.
        /// Default none.
        public var headers: [String: String]
        /// The body, if any. Default none.
        public var body: [UInt8]?
        /// The tenant whose token to use, overriding the API's (a multi-tenant daemon serving several customers).
        public var tenant: String?

        /// A request; by default a `GET` of the API's default path, without headers or body, for the API's tenant.
        public init(
            method: String = "GET",
            path: String = "",
            headers: [String: String] = [:],
            body: [UInt8]? = nil,
            tenant: String? = nil
        ) {
            self.method = method.uppercased()
            self.path = path
            self.headers = headers
            self.body = body
            self.tenant = tenant
        }

        /// A request with a JSON body (`Content-Type: application/json`).
        public static func json<Body: Encodable>(_ method: String, _ path: String, body: Body) throws -> Request {
            Request(
                method: method,
                path: path,
                headers: ["Content-Type": "application/json"],
                body: Array(try JSONEncoder().encode(body))
            )
        }
    }

    /// A successful answer.
    public struct Response: Sendable {
        /// The HTTP status (2xx).
        public let status: Int
        /// The answer's headers.
        public let headers: HTTPHeaders
        /// The answer's body.
        public let body: [UInt8]
        let what: String

        /// The body decoded as `Value`.
        public func decode<Value: Decodable>(_ type: Value.Type = Value.self) throws(DownstreamAPIError) -> Value {
            do {
                return try JSONDecoder().decode(Value.self, from: Data(body))
            } catch {
                throw DownstreamAPIError(
                    .invalidResponse,
                    "the answer of \(what) does not decode as \(Value.self): \(Self.summary(error))",
                    status: status
                )
            }
        }

        static func summary(_ error: any Error) -> String {
            guard let error = error as? DecodingError else { return "not JSON" }
            switch error {
            case .keyNotFound(let key, let context): return "missing '\(key.stringValue)' at \(path(context))"
            case .typeMismatch(let type, let context): return "expected \(type) at \(path(context))"
            case .valueNotFound(let type, let context): return "null where \(type) was expected at \(path(context))"
            case .dataCorrupted(let context): return "not valid JSON at \(path(context))"
            @unknown default: return "does not decode"
            }
        }

        static func path(_ context: DecodingError.Context) -> String {
            context.codingPath.isEmpty ? "the top level" : context.codingPath.map(\.stringValue).joined(separator: ".")
        }
    }

    /// Where the API is and which token it takes.
    public let api: DownstreamAPI
    /// Retry, paging and HTTP settings.
    public let configuration: Configuration
    /// The base URL's origin: the only one the token is sent to (parsed once).
    let origin: String
    let tokenSource: any TokenSource
    let transport: HTTPTransport
    let logger: Logger
    let metrics: DownstreamMetrics

    /// - Parameters:
    ///   - api: the API's base URL and token scopes.
    ///   - tokenSource: where tokens come from, usually a ``ConfidentialClient`` (cached).
    ///   - logger: where calls are logged (method, host, path and status; never a token or query string).
    public init(
        api: DownstreamAPI,
        tokenSource: any TokenSource,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "tessera", factory: { _ in SwiftLogNoOpLogHandler() }),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws(DownstreamAPIError) {
        let base = try Self.target(api.baseURL)
        guard !api.scopes.isEmpty else {
            throw DownstreamAPIError(
                .invalidRequest,
                "the downstream API \(base.host ?? "") has no scopes; set e.g. [\"https://graph.microsoft.com/.default\"] (DownstreamApis.<name>.Scopes)"
            )
        }
        do {
            transport = try HTTPTransport(
                configuration: configuration.http,
                targetScheme: base.scheme ?? "https",
                targetHost: base.host ?? ""
            )
        } catch {
            throw DownstreamAPIError(.invalidRequest, error.message)
        }
        self.api = api
        self.configuration = configuration
        self.origin = try Self.origin(of: base)
        self.tokenSource = tokenSource
        self.logger = logger
        self.metrics = DownstreamMetrics(factory: metricsFactory)
    }

    /// Shuts the HTTP client down. Call once, when done.
    public func shutdown() async throws {
        try await transport.shutdown()
    }

    /// `GET path` decoded as `Value`.
    public func get<Value: Decodable>(
        _ path: String = "",
        as type: Value.Type = Value.self,
        tenant: String? = nil
    ) async throws -> Value {
        try await send(Request(path: path, tenant: tenant)).decode(Value.self)
    }

    /// Every item of every page of a Graph-style collection (`value` + `@odata.nextLink`).
    public func allPages<Item: Decodable>(
        _ path: String = "",
        of type: Item.Type = Item.self,
        tenant: String? = nil
    ) async throws -> [Item] {
        var items: [Item] = []
        try await forEachPage(path, of: Item.self, tenant: tenant) { items += $0 }
        return items
    }

    /// Calls `body` with each page's items, following `@odata.nextLink` while it stays on the API's origin; returns the
    /// number of pages. A link to another origin, a repeated link, or more than ``Configuration/maximumPages`` pages
    /// is an error, never a loop.
    @discardableResult
    public func forEachPage<Item: Decodable>(
        _ path: String = "",
        of type: Item.Type = Item.self,
        tenant: String? = nil,
        _ body: ([Item]) async throws -> Void
    ) async throws -> Int {
        var next: String? = api.url(for: path)
        var seen: Set<String> = []
        var pages = 0
        while let url = next {
            guard pages < configuration.maximumPages else {
                throw DownstreamAPIError(
                    .invalidResponse,
                    "more than \(configuration.maximumPages) pages at \(Self.redacted(url)); raise Configuration.maximumPages or use $top"
                )
            }
            let page = try await send(Request(path: url, tenant: tenant)).decode(GraphPage<Item>.self)
            pages += 1
            try await body(page.value)
            next = page.nextLink
            if let link = next {
                guard let target = try? Self.target(link), (try? Self.origin(of: target)) == origin else {
                    throw DownstreamAPIError(
                        .untrustedLink,
                        "the @odata.nextLink of \(Self.redacted(url)) points to \(Self.redacted(link)), another origin than \(origin); "
                            + "not followed, so the token does not go there"
                    )
                }
                guard seen.insert(link).inserted else {
                    throw DownstreamAPIError(
                        .invalidResponse,
                        "the API repeated the @odata.nextLink \(Self.redacted(link)); stopped instead of looping"
                    )
                }
            }
        }
        return pages
    }

    /// Sends one request with the app's token; answers one claims challenge and waits out `429`/`503` within bounds.
    /// Throws ``DownstreamAPIError`` for the API's errors and ``IdentityError`` when no token could be had.
    public func send(_ request: Request) async throws -> Response {
        let url = api.url(for: request.path)
        // The token goes only to the API's own origin, whatever the path says.
        guard try Self.origin(of: try Self.target(url)) == origin else {
            throw DownstreamAPIError(
                .untrustedLink,
                "\(Self.redacted(url)) is not on the API's origin (\(Self.redacted(api.baseURL))); the token is not sent there"
            )
        }
        let what = "\(request.method) \(Self.redacted(url))"
        var claims: String?  // the challenge answered (at most one)
        var pendingClaims: String?  // sent with the next token request only
        var retries = 0
        while true {
            // The token that answers a challenge replaces the cached one; later retries (429/503) reuse it.
            let token = try await tokenSource.token(
                for: TokenRequest(scopes: api.scopes, tenant: request.tenant ?? api.tenant, claims: pendingClaims)
            )
            pendingClaims = nil
            var http = HTTPClientRequest(url: url)
            http.method = HTTPMethod(rawValue: request.method)
            for (name, value) in request.headers { http.headers.replaceOrAdd(name: name, value: value) }
            http.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token.token)")
            if !http.headers.contains(name: "Accept") { http.headers.add(name: "Accept", value: "application/json") }
            if let body = request.body { http.body = .bytes(ByteBuffer(bytes: body)) }
            let started = ContinuousClock.now
            let answer: HTTPTransport.Answer
            do {
                answer = try await transport.send(http, what: what)
            } catch {
                metrics.requests(result: "error").increment()
                throw Self.map(error, what: what)
            }
            let elapsed = ContinuousClock.now - started
            metrics.duration.recordNanoseconds(elapsed.nanoseconds)
            metrics.requests(result: "\(answer.status / 100)xx").increment()
            logger.debug(
                "downstream call",
                metadata: [
                    "api.request": "\(what)", "http.status": "\(answer.status)",
                    "duration_ms": "\(elapsed.milliseconds)",
                ]
            )
            switch answer.status {
            case 200..<300:
                return Response(status: answer.status, headers: answer.headers, body: answer.body, what: what)
            case 401 where claims == nil:
                if let challenge = ClaimsChallenge(wwwAuthenticate: answer.headers["WWW-Authenticate"]) {
                    logger.info(
                        "claims challenge from the API; retrying once with a token carrying the requested claims",
                        metadata: ["api.request": "\(what)"]
                    )
                    metrics.retries(reason: "claims_challenge").increment()
                    claims = challenge.claims
                    pendingClaims = claims
                    continue
                }
                throw Self.failure(answer, what: what, claimsAnswered: false, scopes: api.scopes)
            case 429, 503:
                let retryAfter = RetryAfter.parse(answer.headers.first(name: "Retry-After"), now: Date())
                let wait = retryAfter ?? configuration.retryDelay * (1 << min(retries, 16))
                guard retries < configuration.maximumRetries, wait <= configuration.maximumRetryAfter else {
                    throw Self.failure(
                        answer,
                        what: what,
                        claimsAnswered: claims != nil,
                        scopes: api.scopes,
                        retryAfter: retryAfter,
                        note: wait > configuration.maximumRetryAfter
                            ? "it asked to wait \(wait), longer than Configuration.maximumRetryAfter (\(configuration.maximumRetryAfter)); try again later"
                            : "still throttled after \(retries) retries; try again later or lower the call rate"
                    )
                }
                retries += 1
                logger.notice(
                    "the API is throttling; waiting before retrying",
                    metadata: [
                        "api.request": "\(what)", "http.status": "\(answer.status)", "retry_after": "\(wait)",
                        "attempt": "\(retries)",
                    ]
                )
                metrics.retries(reason: "throttled").increment()
                try await configuration.sleep(wait)
            default:
                throw Self.failure(answer, what: what, claimsAnswered: claims != nil, scopes: api.scopes)
            }
        }
    }
}
