import Foundation
import Logging
import Synchronization
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

struct Item: Decodable, Equatable {
    let id: String
}

/// Runs `body` with a caller of `api` whose tokens come from `server` (cp1 declared), waits recorded.
func withCaller<R: Sendable>(
    _ api: TestAPI,
    _ server: TestTokenServer,
    logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
    configure: (inout DownstreamAPIClient.Configuration) -> Void = { _ in },
    _ body: (DownstreamAPIClient, SleepRecorder) async throws -> R
) async throws -> R {
    try await withClient(
        server,
        credential: ClientSecretCredential(secret: testSecret),
        logger: logger,
        configure: { $0.clientCapabilities = ["cp1"] }
    ) { client in
        let sleeper = SleepRecorder()
        var configuration = DownstreamAPIClient.Configuration()
        configuration.retry.sleep = sleeper.sleep
        configure(&configuration)
        let caller = try DownstreamAPIClient(
            api: DownstreamAPI(baseURL: api.baseURL + "/v1/", scopes: ["api://reports/.default"]),
            tokenSource: client,
            configuration: configuration,
            logger: logger
        )
        do {
            let result = try await body(caller, sleeper)
            try await caller.shutdown()
            return result
        } catch {
            try? await caller.shutdown()
            throw error
        }
    }
}

@Suite("Downstream API caller: token, claims challenge, throttling, paging, Graph errors (real HTTP)")
struct DownstreamCallerTests {
    @Test(
        "a claims challenge is answered once: a fresh token requested with the claims (merged with cp1), then cached and reused by a 429 retry"
    )
    func claimsChallenge() async throws {
        try await TestTokenServer.daemon().run { server in
            try await TestAPI().run { api in
                api.script(
                    "/v1/report",
                    .init(status: 401, headers: ["WWW-Authenticate": Challenge.header], body: ""),
                    .init(status: 429, headers: ["Retry-After": "1"]),
                    .init(status: 200, body: #"{"id":"r1"}"#)
                )
                try await withCaller(api, server) { caller, _ in
                    let first = try await caller.get("report", as: Item.self)
                    let second = try await caller.get("report", as: Item.self)
                    #expect(first == Item(id: "r1") && second == Item(id: "r1"))
                }
                let seen = api.authorizations("/v1/report")
                #expect(seen.count == 4)
                #expect(seen[0] != seen[1], "the retry carries a new token")
                #expect(
                    seen[1] == seen[2] && seen[2] == seen[3],
                    "the token that satisfied the challenge replaced the cached one"
                )
                let requests = server.tokenRequests
                #expect(requests.count == 2)
                let claims = try StrictJSON.parseObject(Array((requests.last?.form["claims"] ?? "").utf8))
                #expect(claims["access_token"]?["nbf"]?["value"]?.stringValue == "1700000000")
                #expect(claims["access_token"]?["xms_cc"]?["values"] == .array(["cp1"]))
            }
        }
    }

    @Test("a second 401 after the answered challenge is an error, not a loop; a 401 without claims is not retried")
    func unauthorized() async throws {
        try await TestTokenServer.daemon().run { server in
            try await TestAPI().run { api in
                api.script("/v1/always", .init(status: 401, headers: ["WWW-Authenticate": Challenge.header], body: ""))
                api.script(
                    "/v1/plain",
                    .init(
                        status: 401,
                        headers: ["WWW-Authenticate": #"Bearer error="invalid_token""#],
                        body:
                            #"{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure."}}"#
                    )
                )
                try await withCaller(api, server) { caller, _ in
                    let again = await expectDownstreamError { _ = try await caller.send(.init(path: "always")) }
                    #expect(again?.code == .unauthorized)
                    #expect(again?.message.contains("again after its claims challenge") == true)
                    let plain = await expectDownstreamError { _ = try await caller.send(.init(path: "plain")) }
                    #expect(plain?.code == .unauthorized)
                    #expect(plain?.apiCode == "InvalidAuthenticationToken")
                    #expect(plain?.message.contains("api://reports/.default") == true)
                }
                #expect(api.count("/v1/always") == 2)
                #expect(api.count("/v1/plain") == 1)
            }
        }
    }

    @Test("429/503: Retry-After waited out within the bound; too long fails at once; no Retry-After doubles the delay")
    func throttling() async throws {
        try await TestTokenServer.daemon().run { server in
            try await TestAPI().run { api in
                api.script(
                    "/v1/busy",
                    .init(status: 429, headers: ["Retry-After": "2"]),
                    .init(status: 429, headers: ["Retry-After": "1"]),
                    .init(status: 200, body: #"{"id":"ok"}"#)
                )
                api.script(
                    "/v1/later",
                    .init(
                        status: 429,
                        headers: ["Retry-After": "120"],
                        body: #"{"error":{"code":"TooManyRequests","message":"Too many requests"}}"#
                    )
                )
                api.script("/v1/down", .init(status: 503))
                try await withCaller(api, server) { caller, sleeper in
                    let busy = try await caller.get("busy", as: Item.self)
                    #expect(busy == Item(id: "ok"))
                    #expect(sleeper.recorded == [.seconds(2), .seconds(1)])
                    let later = await expectDownstreamError { _ = try await caller.send(.init(path: "later")) }
                    #expect(later?.code == .throttled)
                    #expect(later?.retryAfter == .seconds(120))
                    #expect(later?.apiCode == "TooManyRequests")
                    #expect(sleeper.recorded.count == 2, "nothing waited for a Retry-After over the bound")
                    let down = await expectDownstreamError { _ = try await caller.send(.init(path: "down")) }
                    #expect(down?.code == .throttled)
                    #expect(Array(sleeper.recorded.dropFirst(2)) == [.seconds(1), .seconds(2)])
                }
                #expect(api.count("/v1/busy") == 3)
                #expect(api.count("/v1/later") == 1)
                #expect(api.count("/v1/down") == 3)
            }
        }
    }

    @Test("Graph's error shape becomes a typed error with the API's code and request-id")
    func graphErrors() async throws {
        try await TestTokenServer.daemon().run { server in
            try await TestAPI().run { api in
                api.script(
                    "/v1/users",
                    .init(
                        status: 403,
                        body:
                            #"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"request-id":"5f3c-req","date":"2026-12-01T00:00:00"}}}"#
                    )
                )
                api.script(
                    "/v1/gone",
                    .init(
                        status: 404,
                        headers: ["request-id": "hdr-req"],
                        body: #"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist."}}"#
                    )
                )
                api.script("/v1/teapot", .init(status: 418, body: "<html>short and stout</html>"))
                try await withCaller(api, server) { caller, _ in
                    let denied = await expectDownstreamError { _ = try await caller.send(.init(path: "users")) }
                    #expect(denied?.status == 403)
                    #expect(denied?.apiCode == "Authorization_RequestDenied")
                    #expect(denied?.requestID == "5f3c-req")
                    #expect(denied?.message.contains("admin consent") == true)
                    let gone = await expectDownstreamError { _ = try await caller.send(.init(path: "gone?$select=id")) }
                    #expect(gone?.requestID == "hdr-req")
                    #expect(gone?.description.contains("$select") == false, "queries stay out of messages")
                    let teapot = await expectDownstreamError { _ = try await caller.send(.init(path: "teapot")) }
                    #expect(teapot?.code == .httpStatus)
                    #expect(teapot?.status == 418)
                }
            }
        }
    }

    @Test(
        "paging follows @odata.nextLink on the API's origin only, stops on a repeated link, names what does not decode"
    )
    func paging() async throws {
        try await TestTokenServer.daemon().run { server in
            try await TestAPI().run { api in
                api.script(
                    "/v1/p1",
                    .init(
                        status: 200,
                        body: #"{"value":[{"id":"1"},{"id":"2"}],"@odata.nextLink":"{base}/v1/p2?$skiptoken=x"}"#
                    )
                )
                api.script("/v1/p2", .init(status: 200, body: #"{"value":[{"id":"3"}]}"#))
                api.script(
                    "/v1/elsewhere",
                    .init(status: 200, body: #"{"value":[],"@odata.nextLink":"http://localhost:1/steal"}"#)
                )
                api.script("/v1/loop", .init(status: 200, body: #"{"value":[],"@odata.nextLink":"{base}/v1/loop2"}"#))
                api.script(
                    "/v1/loop2",
                    .init(status: 200, body: #"{"value":[{"id":"x"}],"@odata.nextLink":"{base}/v1/loop2"}"#)
                )
                api.script("/v1/bad", .init(status: 200, body: #"{"value":[{"name":1}]}"#))
                try await withCaller(api, server) { caller, _ in
                    let items = try await caller.allPages("p1", of: Item.self)
                    #expect(items.map(\.id) == ["1", "2", "3"])
                    let elsewhere = await expectDownstreamError {
                        _ = try await caller.allPages("elsewhere", of: Item.self)
                    }
                    #expect(elsewhere?.code == .untrustedLink)
                    let loop = await expectDownstreamError { _ = try await caller.allPages("loop", of: Item.self) }
                    #expect(loop?.code == .invalidResponse)
                    let elsewhereAbsolute = await expectDownstreamError {
                        _ = try await caller.send(.init(path: "http://localhost:1/v1/p1"))
                    }
                    #expect(
                        elsewhereAbsolute?.code == .untrustedLink,
                        "an absolute path on another origin gets no token"
                    )
                    let bad = await expectDownstreamError { _ = try await caller.allPages("bad", of: Item.self) }
                    #expect(bad?.code == .invalidResponse)
                    #expect(bad?.message.contains("missing 'id'") == true)
                }
                #expect(api.count("/v1/loop2") == 1, "the repeated link is not requested again")
                #expect(server.tokenRequests.count == 1, "one token for every page")
            }
        }
    }

    @Test("allPages holds at most maximumCollectedBytes of pages; forEachPage streams the same collection")
    func collectedBytesBound() async throws {
        try await TestTokenServer.daemon().run { server in
            try await TestAPI().run { api in
                let filler = String(repeating: "x", count: 600)
                for page in 1...4 {
                    let next = page < 4 ? #","@odata.nextLink":"{base}/v1/big\#(page + 1)""# : ""
                    api.script(
                        "/v1/big\(page)",
                        .init(status: 200, body: #"{"value":[{"id":"\#(page)","note":"\#(filler)"}]\#(next)}"#)
                    )
                }
                try await withCaller(api, server, configure: { $0.maximumCollectedBytes = 1_500 }) { caller, _ in
                    let bounded = await expectDownstreamError { _ = try await caller.allPages("big1", of: Item.self) }
                    #expect(bounded?.code == .invalidResponse)
                    #expect(bounded?.message.contains("forEachPage") == true)
                    #expect(api.count("/v1/big4") == 0, "stopped at the page past the bound")
                    var streamed: [String] = []
                    let pages = try await caller.forEachPage("big1", of: Item.self) { streamed += $0.map(\.id) }
                    #expect(pages == 4 && streamed == ["1", "2", "3", "4"])
                }
            }
        }
    }

    @Test("a base URL that would send the token over plain HTTP off loopback is refused")
    func plainHTTP() async throws {
        try await TestTokenServer.daemon().run { server in
            try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) { client in
                #expect(throws: DownstreamAPIError.self) {
                    try DownstreamAPIClient(
                        api: DownstreamAPI(baseURL: "http://api.contoso.example/", scopes: ["api://x/.default"]),
                        tokenSource: client
                    )
                }
                #expect(throws: DownstreamAPIError.self) {
                    try DownstreamAPIClient(
                        api: DownstreamAPI(baseURL: "https://api.contoso.example/", scopes: []),
                        tokenSource: client
                    )
                }
            }
        }
    }

    @Test("tokens never appear in logs (trace) or error descriptions")
    func canary() async throws {
        let capture = CapturingLogHandler()
        let logger = {
            var logger = Logger(label: "canary") { _ in capture }
            logger.logLevel = .trace
            return logger
        }()
        try await TestTokenServer.daemon().run { server in
            try await TestAPI().run { api in
                api.script(
                    "/v1/x",
                    .init(status: 401, headers: ["WWW-Authenticate": Challenge.header]),
                    .init(status: 403, body: #"{"error":{"code":"Denied","message":"no"}}"#)
                )
                try await withCaller(api, server, logger: logger) { caller, _ in
                    let error = await expectDownstreamError { _ = try await caller.send(.init(path: "x")) }
                    #expect(error.map { "\($0)".contains("test-token-") } == false)
                }
                #expect(api.authorizations("/v1/x").allSatisfy { $0.hasPrefix("Bearer test-token-") })
            }
        }
        let lines = capture.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("claims challenge") })
        #expect(!lines.contains { $0.contains("test-token-") || $0.contains(testSecret) })
    }

    @Test("Graph on the emulator: typed users over every page, one token")
    func emulatorGraph() async throws {
        try await withEmulator(model: EmulatorFixture.model(users: 7)) { emulator in
            try await withClient(
                try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
            ) { client in
                var configuration = DownstreamAPIClient.Configuration()
                configuration.http.caFile = emulator.caFile
                let graph = try DownstreamAPIClient(
                    api: .graph(cloud: try .custom(emulator.baseURL)),
                    tokenSource: client,
                    configuration: configuration
                )
                struct User: Decodable {
                    let id: String
                    let userPrincipalName: String
                }
                let users = try await graph.allPages("users?$top=3", of: User.self)
                #expect(users.map(\.id) == (1...7).map { "u\($0)" })
                let one = try await graph.get("users/u4", as: User.self)
                #expect(one.userPrincipalName == "user4@contoso.example")
                let missing = await expectDownstreamError { _ = try await graph.send(.init(path: "users/nobody")) }
                #expect(missing?.apiCode == "Request_ResourceNotFound")
                try await graph.shutdown()
            }
        }
    }
}

@Suite("ClaimsChallenge: WWW-Authenticate parsing")
struct ClaimsChallengeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let headers: [String]
        let claims: String?
        var testDescription: String { name }
    }

    static let json = Challenge.claims
    static let standard = Data(json.utf8).base64EncodedString()
    static let url = Base64URL.encode(Array(json.utf8))

    static let cases: [Case] = [
        Case(name: "Graph's form (standard base64, padded)", headers: [Challenge.header], claims: json),
        Case(
            name: "URL alphabet, unpadded",
            headers: ["Bearer error=\"insufficient_claims\", claims=\"\(url)\""],
            claims: json
        ),
        Case(
            name: "claims as plain JSON with escaped quotes",
            headers: [#"Bearer error="insufficient_claims", claims="{\"access_token\":{}}""#],
            claims: #"{"access_token":{}}"#
        ),
        Case(
            name: "Bearer after another scheme in one value",
            headers: ["Basic realm=\"x\", Bearer realm=\"\", claims=\"\(standard)\""],
            claims: json
        ),
        Case(
            name: "Bearer in a second header value",
            headers: ["Negotiate", "Bearer claims=\"\(standard)\""],
            claims: json
        ),
        Case(name: "scheme and names case-insensitive", headers: ["bearer CLAIMS=\"\(standard)\""], claims: json),
        Case(name: "no claims parameter", headers: [#"Bearer realm="", error="invalid_token""#], claims: nil),
        Case(
            name: "claims that are not a JSON object",
            headers: ["Bearer claims=\"\(Data("[1]".utf8).base64EncodedString())\""],
            claims: nil
        ),
        Case(name: "claims that are not base64", headers: [#"Bearer claims="%%%""#], claims: nil),
        Case(name: "claims under another scheme", headers: ["PoP claims=\"\(standard)\""], claims: nil),
        Case(name: "unterminated quote", headers: [#"Bearer claims="eyJ"#], claims: nil),
        Case(name: "garbage", headers: [#"=,"=,=""#, "", ",,,", "Bearer ="], claims: nil),
    ]

    @Test("challenge", arguments: cases)
    func parse(_ test: Case) {
        #expect(ClaimsChallenge(wwwAuthenticate: test.headers)?.claims == test.claims)
    }
}
