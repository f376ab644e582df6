import AsyncHTTPClient
import Foundation
import GraphUsersClient
import NIOSSL
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraOpenAPI
import TesseraTestSupport
import Testing

@Suite(
    "TesseraOpenAPI: BearerTokenMiddleware with a generated client (swift-openapi-generator, AsyncHTTPClient transport)"
)
struct OpenAPIMiddlewareTests {
    @Test("the generated client reads the emulator's Graph with the app token; without the middleware it is refused")
    func emulatorGraph() async throws {
        try await withEmulator(model: EmulatorFixture.model(users: 3)) { emulator in
            try await withClient(
                try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
            ) { tokens in
                try await withHTTPClient(caFile: emulator.caFile) { http in
                    let server = try #require(URL(string: emulator.baseURL + "/v1.0"))
                    let transport = AsyncHTTPClientTransport(configuration: .init(client: http))
                    let graph = GraphUsersClient.Client(
                        serverURL: server,
                        transport: transport,
                        middlewares: [
                            try BearerTokenMiddleware(
                                tokenSource: tokens,
                                scopes: ["https://graph.microsoft.com/.default"],
                                serverURL: server
                            )
                        ]
                    )
                    let page = try await graph.listUsers(query: .init(_dollar_top: 2)).ok.body.json
                    #expect(page.value.map(\.id) == ["u1", "u2"])
                    #expect(page._commat_odata_period_nextLink?.contains("skiptoken") == true)
                    let user = try await graph.getUser(path: .init(id: "u3")).ok.body.json
                    #expect(user.userPrincipalName == "user3@contoso.example")
                    guard case .default(let status, let answer) = try await graph.getUser(path: .init(id: "nobody"))
                    else {
                        Issue.record("expected Graph's 404")
                        return
                    }
                    #expect(status == 404)
                    #expect(try answer.body.json.error.code == "Request_ResourceNotFound")

                    let anonymous = GraphUsersClient.Client(serverURL: server, transport: transport)
                    guard case .default(let refused, _) = try await anonymous.listUsers() else {
                        Issue.record("expected 401 without a token")
                        return
                    }
                    #expect(refused == 401)
                }
            }
        }
    }

    struct OriginCase: Sendable, CustomTestStringConvertible {
        let name: String
        let clientURL: String
        let pinned: String?
        let code: DownstreamAPIError.Code
        var testDescription: String { name }
    }

    static let originCases: [OriginCase] = [
        OriginCase(name: "plain http off-host", clientURL: "http://api.example/v1", pinned: nil, code: .invalidRequest),
        OriginCase(
            name: "plain http to a *.localhost name",
            clientURL: "http://api.localhost/v1",
            pinned: nil,
            code: .invalidRequest
        ),
        OriginCase(
            name: "another origin than the pinned server",
            clientURL: "https://other.example/v1",
            pinned: "https://api.example/v1",
            code: .untrustedLink
        ),
        OriginCase(
            name: "another port than the pinned server",
            clientURL: "https://api.example:8443/v1",
            pinned: "https://api.example/v1",
            code: .untrustedLink
        ),
    ]

    @Test("the token goes only over https (or http to loopback) and only to the pinned origin", arguments: originCases)
    func originRule(_ testCase: OriginCase) async throws {
        try await TestTokenServer.daemon().run { server in
            try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) { tokens in
                let middleware = try BearerTokenMiddleware(
                    tokenSource: tokens,
                    scopes: ["api://reports/.default"],
                    serverURL: testCase.pinned.flatMap(URL.init(string:))
                )
                let client = GraphUsersClient.Client(
                    serverURL: try #require(URL(string: testCase.clientURL)),
                    transport: AsyncHTTPClientTransport(),
                    middlewares: [middleware]
                )
                do {
                    _ = try await client.listUsers()
                    Issue.record("the call was made")
                } catch let error as ClientError {
                    let refusal = try #require(error.underlyingError as? DownstreamAPIError)
                    #expect(refusal.code == testCase.code)
                }
                #expect(server.tokenRequests.isEmpty, "no token is asked for a refused origin")
            }
        }
    }

    struct Unused: TokenSource {
        func token(for request: TokenRequest) async throws -> AccessToken {
            throw IdentityError.credentialUnavailable("never asked")
        }
    }

    @Test("a server URL a token may not go to is refused at construction")
    func refusedServerURL() throws {
        #expect(throws: DownstreamAPIError.self) {
            try BearerTokenMiddleware(
                tokenSource: Unused(),
                scopes: ["api://reports/.default"],
                serverURL: URL(string: "http://api.example/v1")
            )
        }
    }

    @Test(
        "claims challenge answered once; 429 Retry-After waited within the bound, a longer one returned to the caller"
    )
    func challengeAndThrottling() async throws {
        try await TestTokenServer.daemon().run { server in
            try await TestAPI().run { api in
                api.script(
                    "/v1/users",
                    .init(status: 401, headers: ["WWW-Authenticate": Challenge.header]),
                    .init(status: 429, headers: ["Retry-After": "1"]),
                    .init(status: 200, body: #"{"value":[{"id":"a"}]}"#),
                    .init(
                        status: 429,
                        headers: ["Retry-After": "120"],
                        body: #"{"error":{"code":"TooManyRequests","message":"slow down"}}"#
                    )
                )
                try await withClient(
                    server,
                    credential: ClientSecretCredential(secret: testSecret),
                    configure: { $0.clientCapabilities = ["cp1"] }
                ) { tokens in
                    try await withHTTPClient(caFile: nil) { http in
                        let sleeper = SleepRecorder()
                        var retry = APIRetryPolicy()
                        retry.sleep = sleeper.sleep
                        let middleware = try BearerTokenMiddleware(
                            tokenSource: tokens,
                            scopes: ["api://reports/.default"],
                            retry: retry
                        )
                        let client = GraphUsersClient.Client(
                            serverURL: try #require(URL(string: api.baseURL + "/v1")),
                            transport: AsyncHTTPClientTransport(configuration: .init(client: http)),
                            middlewares: [middleware]
                        )
                        let page = try await client.listUsers().ok.body.json
                        #expect(page.value.map(\.id) == ["a"])
                        #expect(sleeper.recorded == [.seconds(1)])
                        guard case .default(let status, let answer) = try await client.listUsers() else {
                            Issue.record("expected the 429")
                            return
                        }
                        #expect(status == 429)
                        #expect(try answer.body.json.error.code == "TooManyRequests")
                        #expect(sleeper.recorded == [.seconds(1)], "a Retry-After over the bound is not waited")
                    }
                }
                let seen = api.authorizations("/v1/users")
                #expect(seen.count == 4)
                #expect(seen[0] != seen[1] && seen[1] == seen[2], "fresh token after the challenge, then reused")
                let claims = try StrictJSON.parseObject(Array((server.tokenRequests.last?.form["claims"] ?? "").utf8))
                #expect(claims["access_token"]?["nbf"]?["essential"] == .bool(true))
            }
        }
    }
}
