import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import HummingbirdTesting
import JWTKit
import Logging
import NIOSSL
import Synchronization
import TesseraJOSE

/// A small token endpoint over real HTTP on loopback that checks what a client sends the way Entra does: form fields,
/// client secret (post or Basic), and client assertions (signature against the registered certificate, `aud`, `iss`,
/// `sub`, integer times, lifetime ≤ 10 min, a fresh `jti`). It records every request, and can answer with canned
/// responses instead, for error-mapping tests.
public final class TestTokenServer: Sendable {
    public struct Registration: Sendable {
        public var clientID: String
        public var secret: String?
        public var certificatePEM: String?
        public init(clientID: String, secret: String? = nil, certificatePEM: String? = nil) {
            self.clientID = clientID
            self.secret = secret
            self.certificatePEM = certificatePEM
        }
    }

    /// One request as the server saw it.
    public struct Recorded: Sendable {
        public let method: String
        /// Header names are lower-case.
        public let path: String
        public let headers: [String: String]
        public let form: [String: String]
        public let rawBody: String
        public let assertionHeader: [String: JSONValue]?
        public let assertionClaims: [String: JSONValue]?
    }

    /// A canned answer.
    public struct Canned: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        public init(status: Int, headers: [String: String] = ["Content-Type": "application/json"], body: String) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    struct State {
        var recorded: [Recorded] = []
        var seenJTIs: Set<String> = []
        var canned: [Canned] = []
        var baseURL = ""
        var discovery: [String: String]?
        var issued = 0
        var holds: [Duration] = []
    }

    public let registration: Registration
    private let state = Mutex(State())
    public let expiresIn: Int

    public init(registration: Registration, expiresIn: Int = 3599) {
        self.registration = registration
        self.expiresIn = expiresIn
    }

    public var baseURL: String { state.withLock { $0.baseURL } }
    public var requests: [Recorded] { state.withLock { $0.recorded } }
    public var tokenRequests: [Recorded] { requests.filter { $0.method == "POST" } }

    /// Holds the next token requests this long each (after recording them) before answering: a slow identity provider,
    /// or one whose caller is killed mid-request.
    public func hold(_ durations: Duration...) { state.withLock { $0.holds += durations } }

    /// Answers the next requests with these responses, in order.
    public func enqueue(_ responses: Canned...) { state.withLock { $0.canned += responses } }
    /// Serves `GET …/.well-known/openid-configuration` with these members (values are strings).
    public func serveDiscovery(_ document: [String: String]) { state.withLock { $0.discovery = document } }

    /// Runs the server on an ephemeral loopback port (HTTPS with `tls`) for the duration of `body`.
    public func run<R: Sendable>(
        tls: TLSConfiguration? = nil,
        _ body: @Sendable (TestTokenServer) async throws -> R
    ) async throws -> R {
        let router = Router()
        router.post("**") { request, _ in try await self.handleToken(request) }
        router.get("**") { request, _ in self.handleGet(request) }
        let configuration = ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0))
        let logger = Logger(label: "test-token-server", factory: { _ in SwiftLogNoOpLogHandler() })
        if let tls {
            let app = Application(
                router: router,
                server: try .tls(.http1(), tlsConfiguration: tls),
                configuration: configuration,
                logger: logger
            )
            return try await app.test(.live) { client in
                state.withLock { $0.baseURL = "https://localhost:\(client.port!)" }
                return try await body(self)
            }
        }
        let app = Application(router: router, configuration: configuration, logger: logger)
        return try await app.test(.live) { client in
            state.withLock { $0.baseURL = "http://127.0.0.1:\(client.port!)" }
            return try await body(self)
        }
    }

    func handleGet(_ request: Request) -> Response {
        record(request, body: "", form: [:], header: nil, claims: nil)
        guard request.uri.path.hasSuffix("/.well-known/openid-configuration"),
            let document = state.withLock({ $0.discovery })
        else {
            return Response(status: .notFound)
        }
        let json = try! JSONSerialization.data(withJSONObject: document)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: json))
        )
    }

    func handleToken(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let body = String(buffer: buffer)
        let form = Self.parseForm(body)
        var header: [String: JSONValue]?
        var claims: [String: JSONValue]?
        if let assertion = form["client_assertion"] {
            let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 3 {
                header = Base64URL.decode(parts[0]).flatMap { try? StrictJSON.parseObject($0) }
                claims = Base64URL.decode(parts[1]).flatMap { try? StrictJSON.parseObject($0) }
            }
        }
        record(request, body: body, form: form, header: header, claims: claims)
        if let hold = state.withLock({ $0.holds.isEmpty ? nil : $0.holds.removeFirst() }) {
            try? await Task.sleep(for: hold)
        }
        if let canned = state.withLock({ $0.canned.isEmpty ? nil : $0.canned.removeFirst() }) {
            var headers = HTTPFields()
            for (name, value) in canned.headers { headers[HTTPField.Name(name)!] = value }
            return Response(
                status: .init(code: canned.status),
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: canned.body))
            )
        }
        let correlation = request.headers[HTTPField.Name("client-request-id")!] ?? ""
        return await answer(request: request, form: form, header: header, claims: claims, correlation: correlation)
    }

    func answer(
        request: Request,
        form: [String: String],
        header: [String: JSONValue]?,
        claims: [String: JSONValue]?,
        correlation: String
    ) async -> Response {
        func error(_ status: Int, _ error: String, _ code: Int, _ text: String) -> Response {
            Self.entraError(status: status, error: error, code: code, description: text, correlation: correlation)
        }
        guard form["grant_type"] == "client_credentials" else {
            return error(400, "unsupported_grant_type", 70003, "grant")
        }
        var clientID = form["client_id"]
        var secret = form["client_secret"]
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6))).map({
                String(decoding: $0, as: UTF8.self)
            }),
            let colon = decoded.firstIndex(of: ":")
        {
            clientID = String(decoded[..<colon]).removingPercentEncoding
            secret =
                String(decoded[decoded.index(after: colon)...]).replacingOccurrences(of: "+", with: " ")
                .removingPercentEncoding
        }
        guard clientID == registration.clientID else {
            return error(
                400,
                "unauthorized_client",
                700016,
                "Application with identifier was not found in the directory."
            )
        }
        guard form["scope"].map({ !$0.isEmpty }) == true else {
            return error(400, "invalid_scope", 70011, "scope missing")
        }
        if let assertion = form["client_assertion"] {
            guard secret == nil else { return error(400, "invalid_request", 90014, "both secret and assertion") }
            guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                return error(400, "invalid_request", 90014, "client_assertion_type")
            }
            if let failure = await check(assertion: assertion, header: header, claims: claims, path: request.uri.path) {
                return error(401, "invalid_client", failure.0, failure.1)
            }
        } else if let secret {
            guard secret == registration.secret else {
                return error(401, "invalid_client", 7_000_215, "Invalid client secret provided.")
            }
        } else {
            return error(
                401,
                "invalid_client",
                7_000_218,
                "The request body must contain client_assertion or client_secret."
            )
        }
        let count = state.withLock { state in
            state.issued += 1
            return state.issued
        }
        let json =
            "{\"token_type\":\"Bearer\",\"expires_in\":\(expiresIn),\"ext_expires_in\":\(expiresIn),\"access_token\":\"test-token-\(count)-\(UUID().uuidString)\"}"
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: json))
        )
    }

    /// Entra's checks on a client assertion; returns (AADSTS code, description) on failure.
    func check(
        assertion: String,
        header: [String: JSONValue]?,
        claims: [String: JSONValue]?,
        path: String
    ) async -> (Int, String)? {
        guard let header, let claims, let certificatePEM = registration.certificatePEM else {
            return (700027, "unparsable or no certificate")
        }
        let keys = JWTKeyCollection()
        do {
            let key = try Insecure.RSA.PublicKey(certificatePEM: certificatePEM)
            switch header["alg"]?.stringValue {
            case "RS256": await keys.add(rsa: key, digestAlgorithm: .sha256)
            case "PS256": await keys.add(pss: key, digestAlgorithm: .sha256)
            default: return (700027, "unsupported alg")
            }
            _ = try await keys.verify(assertion, as: IntegerTimeClaims.self)
        } catch {
            return (700027, "Client assertion failed signature validation. \(error)")
        }
        if case .array = claims["aud"] { return (5_002_741, "several audiences") }
        guard
            claims["aud"]?.stringValue == baseURL + path
                || claims["aud"]?.stringValue
                    == "\(baseURL)\(path)".replacingOccurrences(of: "/oauth2/v2.0/token", with: "/v2.0")
        else {
            return (700023, "Client assertion audience claim does not match Realm issuer.")
        }
        guard claims["iss"]?.stringValue == registration.clientID, claims["sub"]?.stringValue == registration.clientID
        else {
            return (700021, "iss/sub")
        }
        guard let exp = claims["exp"]?.integerValue, let nbf = claims["nbf"]?.integerValue, exp - nbf <= 600,
            exp > Int64(Date().timeIntervalSince1970)
        else {
            return (700024, "Client assertion is not within its valid time range.")
        }
        guard let jti = claims["jti"]?.stringValue, state.withLock({ $0.seenJTIs.insert(jti).inserted }) else {
            return (700027, "replayed jti")
        }
        return nil
    }

    func record(
        _ request: Request,
        body: String,
        form: [String: String],
        header: [String: JSONValue]?,
        claims: [String: JSONValue]?
    ) {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let recorded = Recorded(
            method: request.method.rawValue,
            path: request.uri.path,
            headers: headers,
            form: form,
            rawBody: body,
            assertionHeader: header,
            assertionClaims: claims
        )
        state.withLock { $0.recorded.append(recorded) }
    }

    public static func entraError(
        status: Int,
        error: String,
        code: Int,
        description: String,
        correlation: String
    ) -> Response {
        let object: [String: Any] = [
            "error": error,
            "error_description":
                "AADSTS\(code): \(description) Trace ID: 0000 Correlation ID: \(correlation) Timestamp: 2026-11-25 00:00:00Z",
            "error_codes": [code], "timestamp": "2026-11-25 00:00:00Z", "trace_id": "trace-1234",
            "correlation_id": correlation,
            "error_uri": "https://login.microsoftonline.com/error?code=\(code)",
        ]
        let json = try! JSONSerialization.data(withJSONObject: object)
        return Response(
            status: .init(code: status),
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: json))
        )
    }

    public static func parseForm(_ body: String) -> [String: String] { (try? FormEncoding.decode(body)) ?? [:] }
}

/// Decodes times as integers: a decimal `exp` (what MSAL Python sends, and Glewlwyd rejects) fails here.
struct IntegerTimeClaims: JWTPayload {
    let exp: Int
    let nbf: Int
    let iat: Int
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
