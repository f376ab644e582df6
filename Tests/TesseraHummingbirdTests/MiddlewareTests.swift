import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Tessera
import TesseraEmulator
import TesseraHummingbird
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

@Suite("Hummingbird middleware: RFC 6750 over real HTTP")
struct MiddlewareTests {
    static func app(cache: ValidatedTokenCache?) throws -> some ApplicationProtocol {
        let validator = try HostileTokens.validator()
        let router = Router(context: AppTokenRequestContext.self)
        router.add(middleware: AppTokenMiddleware(validator: validator, realm: "reports", cache: cache))
        router.get("reports") { _, context in
            "tenant=\(context.appToken?.tenant ?? "-") roles=\(context.appToken?.roles.sorted() ?? [])"
        }
        router.group("admin").add(middleware: RequireAppRoles(allOf: ["Reports.Write.All"], realm: "reports")).get(
            "purge"
        ) { _, _ in "purged" }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test("no token, bad token, missing role, malformed header, valid token with a case-insensitive scheme")
    func responses() async throws {
        let issuer = TestIssuer.shared
        try await Self.app(cache: ValidatedTokenCache()).test(.live) { client in
            let none = try await client.execute(uri: "/reports", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer realm=\"reports\"")

            let valid = try await client.execute(
                uri: "/reports",
                method: .get,
                headers: [.authorization: "bearer " + issuer.mint()]
            )
            #expect(valid.status == .ok)
            #expect(String(buffer: valid.body) == "tenant=\(TestIssuer.tenant) roles=[\"Reports.Read.All\"]")

            let forbidden = try await client.execute(
                uri: "/admin/purge",
                method: .get,
                headers: [.authorization: "Bearer " + issuer.mint()]
            )
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.headers[.wwwAuthenticate]?.contains("error=\"insufficient_scope\"") == true)

            for header in ["Basic abc", "Token abc", "Negotiate xyz"] {
                let other = try await client.execute(uri: "/reports", method: .get, headers: [.authorization: header])
                #expect(other.status == .unauthorized, "\(header)")
                #expect(other.headers[.wwwAuthenticate] == "Bearer realm=\"reports\"")
            }
            for header in ["Bearer", "Bearer  two-spaces", "Bearer a b", "Bearer tok\u{7F}en", "bearer"] {
                let malformed = try await client.execute(
                    uri: "/reports",
                    method: .get,
                    headers: [.authorization: header]
                )
                #expect(malformed.status == .badRequest, "\(header)")
            }
        }
    }

    @Test(
        "hostile tokens through HTTP: 401 or 403, the reason code only after the signature, never token material",
        arguments: HostileTokens.cases.filter {
            !$0.testDescription.contains("larger than") && !$0.testDescription.contains("empty token")
        }.prefix(40).map { $0 }
    )
    func hostile(_ testCase: HostileTokens.Case) async throws {
        let token = testCase.token(TestIssuer.shared)
        try await Self.app(cache: nil).test(.live) { client in
            let response = try await client.execute(
                uri: "/reports",
                method: .get,
                headers: [.authorization: "Bearer " + token]
            )
            let challenge = response.headers[.wwwAuthenticate] ?? ""
            if response.status == .badRequest {
                #expect(challenge.contains("invalid_request"), "\(testCase.testDescription)")  // not b64token (e.g. whitespace)
            } else {
                #expect(
                    response.status == (testCase.reason.isAuthorization ? .forbidden : .unauthorized),
                    "\(testCase.testDescription)"
                )
                let description = testCase.reason.isAfterSignature ? testCase.reason.code : "The token is not valid."
                #expect(
                    challenge.contains("error_description=\"\(description)\""),
                    "\(testCase.testDescription): \(challenge)"
                )
            }
            let parts = token.split(separator: ".")
            for part in parts where part.count > 8 {
                #expect(!challenge.contains(part) && !String(buffer: response.body).contains(part))
            }
        }
    }

    @Test("the validated-token cache: a reused token costs a lookup; an expired one is not served")
    func validatedTokenCache() async throws {
        let cache = ValidatedTokenCache()
        let token = TestIssuer.shared.mint()
        try await Self.app(cache: cache).test(.live) { client in
            for _ in 0..<5 {
                let response = try await client.execute(
                    uri: "/reports",
                    method: .get,
                    headers: [.authorization: "Bearer " + token]
                )
                #expect(response.status == .ok)
            }
        }
        #expect(cache.count == 1)
    }
}

@Suite("Emulator's Graph-like API (protected by the middleware)")
struct GraphAPITests {
    @Test("lists users page by page following @odata.nextLink; reads one user")
    func users() async throws {
        var model = EmulatorFixture.model
        model.tenants[0].users = (1...5).map {
            .init(id: "u\($0)", displayName: "User \($0)", userPrincipalName: "user\($0)@contoso.example")
        }
        let emulator = try await EmulatorKeys.start(model)
        defer { Task { await emulator.stop() } }
        let token = try await withClient(
            try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
        ) {
            try await $0.token(scope: "https://graph.microsoft.com/.default")
        }
        var names: [String] = []
        var next: String? = emulator.baseURL + "/v1.0/users?$top=2"
        var pages = 0
        while let url = next {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Authorization", value: "Bearer \(token.token)")
            let answer = try await send(emulator, request)
            #expect(answer.status == 200)
            let body = try StrictJSON.parseObject(answer.body)
            names += body["value"]?.arrayValue?.compactMap { $0["displayName"]?.stringValue } ?? []
            next = body["@odata.nextLink"]?.stringValue
            pages += 1
        }
        #expect(names == (1...5).map { "User \($0)" })
        #expect(pages == 3)
        var overflow = HTTPClientRequest(url: emulator.baseURL + "/v1.0/users?$top=999&$skiptoken=9223372036854775807")
        overflow.headers.add(name: "Authorization", value: "Bearer \(token.token)")
        let empty = try await send(emulator, overflow)
        #expect(empty.status == 200)
        #expect(try StrictJSON.parseObject(empty.body)["value"] == .array([]))
        var one = HTTPClientRequest(url: emulator.baseURL + "/v1.0/users/u3")
        one.headers.add(name: "Authorization", value: "Bearer \(token.token)")
        #expect(
            try StrictJSON.parseObject(try await send(emulator, one).body)["userPrincipalName"]?.stringValue
                == "user3@contoso.example"
        )
        await emulator.stop()
    }

    @Test(
        "Graph's error shapes: no token 401; a token for another API 401; no User.Read.All 403 Authorization_RequestDenied"
    )
    func errors() async throws {
        let emulator = try await EmulatorKeys.start(EmulatorFixture.model)
        defer { Task { await emulator.stop() } }
        let none = try await get(emulator, path: "/v1.0/users")
        #expect(none.status == 401)
        #expect(none.location == nil)

        let apiToken = try await withClient(
            try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
        ) {
            try await $0.token(scope: "api://reports/.default")
        }
        var wrongAudience = HTTPClientRequest(url: emulator.baseURL + "/v1.0/users")
        wrongAudience.headers.add(name: "Authorization", value: "Bearer \(apiToken.token)")
        #expect(try await send(emulator, wrongAudience).status == 401)

        // The API app itself has a service principal in its home tenant but no Graph grant: a token without roles
        // (an access token all the same: idtyp app), so 403 as Graph answers, not 401.
        let secret = try await post(
            emulator,
            path: "/admin/applications/\(EmulatorFixture.api)/secrets",
            json: "{}",
            adminKey: emulator.adminKey
        )
        let value = try #require(try StrictJSON.parseObject(secret.body)["value"]?.stringValue)
        let noRoles = try await withClient(
            try emulatorClient(
                emulator,
                credential: ClientSecretCredential(secret: value),
                clientID: EmulatorFixture.api
            )
        ) {
            try await $0.token(scope: "https://graph.microsoft.com/.default")
        }
        var denied = HTTPClientRequest(url: emulator.baseURL + "/v1.0/users")
        denied.headers.add(name: "Authorization", value: "Bearer \(noRoles.token)")
        let answer = try await send(emulator, denied)
        #expect(answer.status == 403)
        #expect(try StrictJSON.parseObject(answer.body)["error"]?["code"]?.stringValue == "Authorization_RequestDenied")
        await emulator.stop()
    }
}
