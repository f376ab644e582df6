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
/// let graph = try DownstreamAPIClient(api: .graph(), client: confidentialClient)  // shares the client's pool
/// let users = try await graph.allPages("users", of: User.self)
/// ```
/// Made with a ``ConfidentialClient`` it sends through that client's pool and owns nothing; given an `httpClient` it
/// uses that one; with neither it makes a pool of its own, which ``shutdown()`` shuts down.
public final class DownstreamAPIClient: Sendable {
    /// How the caller talks to the API, with documented defaults.
    public struct Configuration: Sendable {
        /// HTTP settings. Defaults as ``HTTPConfiguration`` except a 60 s request timeout and a 16 MiB answer bound.
        public var http: HTTPConfiguration
        /// How `429`/`503` answers are waited out (a `Retry-After` longer than its bound, or still throttled after
        /// its retries, fails with ``DownstreamAPIError/Code/throttled`` and the server's value). Default
        /// ``APIRetryPolicy/init()``.
        public var retry = APIRetryPolicy()
        /// At most this many pages are followed. Default 10,000.
        public var maximumPages = 10_000
        /// ``DownstreamAPIClient/allPages(_:of:tenant:)`` collects at most this many bytes of answers (the pages'
        /// bodies) before it fails instead of growing without bound; ``DownstreamAPIClient/forEachPage(_:of:tenant:_:)``
        /// holds one page at a time and has no such bound. Default 64 MiB.
        public var maximumCollectedBytes = 64 << 20

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

    /// A caller with tokens from `client`, sending through its HTTP pool (so its TLS and proxy settings apply; this
    /// configuration's request timeout and answer bound still do). Nothing to shut down.
    public convenience init(
        api: DownstreamAPI,
        client: ConfidentialClient,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "tessera", factory: { _ in SwiftLogNoOpLogHandler() }),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws(DownstreamAPIError) {
        try self.init(
            api: api,
            tokenSource: client,
            httpClient: client.httpClient,
            configuration: configuration,
            logger: logger,
            metricsFactory: metricsFactory
        )
    }

    /// - Parameters:
    ///   - api: the API's base URL and token scopes.
    ///   - tokenSource: where tokens come from, usually a ``ConfidentialClient`` (cached).
    ///   - httpClient: the pool to send through, never shut down here (its TLS and proxy settings apply). Default
    ///     `nil`: a pool made from ``Configuration/http`` and owned, shut down by ``shutdown()``.
    ///   - logger: where calls are logged (method, host, path and status; never a token or query string).
    public init(
        api: DownstreamAPI,
        tokenSource: any TokenSource,
        httpClient: HTTPClient? = nil,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "tessera", factory: { _ in SwiftLogNoOpLogHandler() }),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws(DownstreamAPIError) {
        let base = try Self.target(api.baseURL)
        guard !api.scopes.isEmpty else {
            throw DownstreamAPIError(
                .invalidRequest,
                "the downstream API \(base.encodedHost ?? "") has no scopes; set e.g. [\"https://graph.microsoft.com/.default\"] (DownstreamApis.<name>.Scopes)"
            )
        }
        do {
            transport = try HTTPTransport(
                configuration: configuration.http,
                targetScheme: base.scheme ?? "https",
                targetHost: base.encodedHost ?? "",
                httpClient: httpClient
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

    /// Shuts down a pool this caller made (once); a shared or injected one is left running.
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

    /// Every item of every page of a Graph-style collection (`value` + `@odata.nextLink`), held in memory: past
    /// ``Configuration/maximumCollectedBytes`` of answers it fails with ``DownstreamAPIError/Code/invalidResponse``
    /// (use ``forEachPage(_:of:tenant:_:)`` to stream a large collection a page at a time).
    public func allPages<Item: Decodable>(
        _ path: String = "",
        of type: Item.Type = Item.self,
        tenant: String? = nil
    ) async throws -> [Item] {
        var items: [Item] = []
        var collected = 0
        try await forEachPage(path, of: Item.self, tenant: tenant) { page, bytes in
            collected += bytes
            guard collected <= configuration.maximumCollectedBytes else {
                throw DownstreamAPIError(
                    .invalidResponse,
                    "\(Self.redacted(api.url(for: path))) holds more than \(configuration.maximumCollectedBytes) bytes of "
                        + "pages: stream it with forEachPage, narrow it ($select, $filter) or raise "
                        + "Configuration.maximumCollectedBytes"
                )
            }
            items += page
        }
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
        try await forEachPage(path, of: Item.self, tenant: tenant) { items, _ in try await body(items) }
    }

    /// ``forEachPage(_:of:tenant:_:)`` with each page's body size.
    func forEachPage<Item: Decodable>(
        _ path: String,
        of type: Item.Type,
        tenant: String?,
        _ body: ([Item], Int) async throws -> Void
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
            let answer = try await send(Request(path: url, tenant: tenant))
            let page = try answer.decode(GraphPage<Item>.self)
            pages += 1
            try await body(page.value, answer.body.count)
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
        let call = BearerTokenCall(
            tokenSource: tokenSource,
            scopes: api.scopes,
            tenant: request.tenant ?? api.tenant,
            retry: configuration.retry
        )
        let outcome = try await call.run(
            send: { token in try await self.send(request, to: url, what: what, token: token) },
            facts: { answer in
                APIAnswerFacts(
                    status: answer.status,
                    retryAfter: answer.headers.first(name: "Retry-After"),
                    wwwAuthenticate: answer.headers["WWW-Authenticate"]
                )
            },
            retrying: { answer, retry in
                switch retry {
                case .claimsChallenge:
                    logger.info(
                        "claims challenge from the API; retrying once with a token carrying the requested claims",
                        metadata: ["api.request": "\(what)"]
                    )
                    metrics.retries(reason: "claims_challenge").increment()
                case .throttled(let wait, let attempt):
                    logger.notice(
                        "the API is throttling; waiting before retrying",
                        metadata: [
                            "api.request": "\(what)", "http.status": "\(answer.status)", "retry_after": "\(wait)",
                            "attempt": "\(attempt)",
                        ]
                    )
                    metrics.retries(reason: "throttled").increment()
                }
            }
        )
        let answer = outcome.answer
        if (200..<300).contains(answer.status) {
            return Response(status: answer.status, headers: answer.headers, body: answer.body, what: what)
        }
        var note: String?
        if answer.status == 429 || answer.status == 503 {
            let limit = configuration.retry.maximumRetryAfter
            note =
                (outcome.retryAfter ?? .zero) > limit
                ? "it asked to wait \(outcome.retryAfter ?? .zero), longer than Configuration.retry.maximumRetryAfter (\(limit)); try again later"
                : "still throttled after \(outcome.state.apiRetries) retries; try again later or lower the call rate"
        }
        throw Self.failure(
            answer,
            what: what,
            claimsAnswered: outcome.state.claimsChallengeAnswered,
            scopes: api.scopes,
            retryAfter: answer.status == 429 || answer.status == 503 ? outcome.retryAfter : nil,
            note: note
        )
    }

    /// One attempt: the request with `token`, timed, counted and logged.
    private func send(
        _ request: Request,
        to url: String,
        what: String,
        token: AccessToken
    ) async throws -> HTTPTransport.Answer {
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
        } catch let failure as TransportFailure {
            metrics.requests(result: "error").increment()
            throw DownstreamAPIError(failure, what: what)
        }
        let elapsed = ContinuousClock.now - started
        metrics.duration.recordNanoseconds(elapsed.nanoseconds)
        metrics.requests(result: "\(answer.status / 100)xx").increment()
        logger.debug(
            "downstream call",
            metadata: [
                "api.request": "\(what)", "http.status": "\(answer.status)", "duration_ms": "\(elapsed.milliseconds)",
            ]
        )
        return answer
    }
}
