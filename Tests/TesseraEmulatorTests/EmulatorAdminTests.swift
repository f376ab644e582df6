import AsyncHTTPClient
import Foundation
import NIOCore
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("Emulator: admin API, faults, key rotation, v1 endpoint, assertion checks")
struct EmulatorAdminTests {
    @Test("the admin API needs its key; registers an app, a secret and a grant at run time; reads back hints; persists")
    func admin() async throws {
        try await withEmulator { emulator in
            let refused = try await post(emulator, path: "/admin/tenants", json: #"{"id":"x"}"#, adminKey: "wrong")
            #expect(refused.status == 401)
            let app =
                #"{"clientId":"12121212-3434-5656-7878-909090909090","displayName":"new daemon","homeTenant":"\#(EmulatorFixture.contoso)"}"#
            #expect(
                try await post(emulator, path: "/admin/applications", json: app, adminKey: emulator.adminKey).status
                    == 200
            )
            let secret = try await post(
                emulator,
                path: "/admin/applications/12121212-3434-5656-7878-909090909090/secrets",
                json: "{}",
                adminKey: emulator.adminKey
            )
            #expect(secret.status == 201)
            let value = try #require(try StrictJSON.parseObject(secret.body)["value"]?.stringValue)
            let grant =
                #"{"tenant":"\#(EmulatorFixture.contoso)","client":"12121212-3434-5656-7878-909090909090","resource":"api://reports","roles":["Reports.Read.All"]}"#
            #expect(
                try await post(emulator, path: "/admin/grants", json: grant, adminKey: emulator.adminKey).status == 200
            )

            let token = try await withClient(
                try emulatorClient(
                    emulator,
                    credential: ClientSecretCredential(secret: value),
                    clientID: "12121212-3434-5656-7878-909090909090"
                )
            ) {
                try await $0.token(scope: "api://reports/.default")
            }
            #expect(try claims(of: token.token)["roles"] == .array(["Reports.Read.All"]))

            var read = HTTPClientRequest(url: emulator.baseURL + "/admin/directory")
            read.headers.add(name: "Authorization", value: "Bearer \(emulator.adminKey)")
            let directory = String(decoding: try await send(emulator, read).body, as: UTF8.self)
            #expect(directory.contains("new daemon"))
            #expect(!directory.contains(value), "secret values are read back as hints only")
            #expect(!directory.contains(EmulatorFixture.secret))
            let saved = try String(contentsOfFile: emulator.stateDirectory + "/directory.json", encoding: .utf8)
            #expect(saved.contains("new daemon"))
            let attributes = try FileManager.default.attributesOfItem(
                atPath: emulator.stateDirectory + "/directory.json"
            )
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    @Test(
        "fault injection: the next N token requests fail with status and Retry-After; the client retries once in the foreground"
    )
    func faults() async throws {
        try await withEmulator { emulator in
            let fault = #"{"endpoint":"token","status":503,"retryAfter":"7","count":1}"#
            #expect(
                try await post(emulator, path: "/admin/faults", json: fault, adminKey: emulator.adminKey).status == 200
            )
            let token = try await withClient(
                try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
            ) { client in
                // The 503 carries Retry-After, so the foreground path does not retry at once: the caller gets the error…
                let error = await expectIdentityError { _ = try await client.token(scope: "api://reports/.default") }
                #expect(error?.code == .serverError)
                #expect(error?.retryAfter == .seconds(7))
                // …and identical requests fail fast from the throttle memory instead of hitting the provider.
                let again = await expectIdentityError { _ = try await client.token(scope: "api://reports/.default") }
                #expect(again?.code == .serverError)
                return try await client.identityProvider.token(scope: "api://reports/.default")
            }
            #expect(!token.token.isEmpty, "the fault was used up after one request")

            #expect(
                try await post(
                    emulator,
                    path: "/admin/faults",
                    json: #"{"endpoint":"token","status":1000}"#,
                    adminKey: emulator.adminKey
                ).status == 400
            )
            let throttle = #"{"endpoint":"token","status":429,"retryAfter":"3","count":1}"#
            _ = try await post(emulator, path: "/admin/faults", json: throttle, adminKey: emulator.adminKey)
            let error = await expectIdentityError {
                _ = try await withClient(
                    try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
                ) {
                    try await $0.identityProvider.token(scope: "api://reports/.default")
                }
            }
            #expect(error?.code == .throttled)
            #expect(error?.retryAfter == .seconds(3))

            _ = try await post(
                emulator,
                path: "/admin/faults",
                json: #"{"endpoint":"token","dropConnection":true,"count":1}"#,
                adminKey: emulator.adminKey
            )
            let dropped = await expectIdentityError {
                _ = try await withClient(
                    try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
                ) {
                    try await $0.identityProvider.token(scope: "api://reports/.default")
                }
            }
            #expect(
                dropped?.code == .network || dropped?.code == .protocolViolation,
                "\(dropped.map { "\($0)" } ?? "")"
            )
            #expect(dropped?.isTransient == true || dropped?.code == .protocolViolation)
        }
    }

    @Test("key rotation: new tokens carry the new kid; the old key stays published")
    func rotation() async throws {
        try await withEmulator { emulator in
            let before = try await fetchJSON(emulator, path: "/\(EmulatorFixture.contoso)/discovery/v2.0/keys")
            let oldKid = try #require(before["keys"]?.arrayValue?.first?["kid"]?.stringValue)
            let rotated = try await post(emulator, path: "/admin/keys/rotate", json: "{}", adminKey: emulator.adminKey)
            let newKid = try #require(try StrictJSON.parseObject(rotated.body)["kid"]?.stringValue)
            #expect(newKid != oldKid)
            let after = try await fetchJSON(emulator, path: "/\(EmulatorFixture.contoso)/discovery/v2.0/keys")
            let kids = after["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue } ?? []
            #expect(kids == [newKid, oldKid])
            let token = try await withClient(
                try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
            ) {
                try await $0.token(scope: "api://reports/.default")
            }
            let header = try StrictJSON.parseObject(
                try #require(Base64URL.decode(token.token.split(separator: ".")[0]))
            )
            #expect(header["kid"]?.stringValue == newKid)
        }
    }

    @Test("opt-in replay protection rejects a reused jti; by default reuse is accepted, as Entra does")
    func replay() async throws {
        for strict in [false, true] {
            var options = Emulator.Options()
            options.rejectReplayedAssertions = strict
            options.tokenLifetime = 1800
            options.tokenLifetimeJitter = 600
            let emulator = try await EmulatorKeys.start(EmulatorFixture.model, options: options)
            let context = CredentialContext(
                clientID: EmulatorFixture.daemon,
                endpoint: TokenEndpoint(
                    url: "\(emulator.baseURL)/\(EmulatorFixture.contoso)/oauth2/v2.0/token",
                    issuer: "",
                    tenant: EmulatorFixture.contoso
                ),
                now: Date()
            )
            let assertion = try await certificateCredential().makeAssertion(for: context)
            let results = try await withClient(
                try emulatorClient(emulator, credential: ClientAssertionCredential(assertion: assertion))
            ) { client in
                var outcomes: [Bool] = []
                for _ in 0..<2 {
                    do {
                        let token = try await client.identityProvider.token(scope: "api://reports/.default")
                        #expect((1200...1800).contains(token.lifetime), "randomised lifetime")
                        outcomes.append(true)
                    } catch {
                        outcomes.append(false)
                    }
                }
                return outcomes
            }
            await emulator.stop()
            #expect(results == (strict ? [true, false] : [true, true]))
        }
    }

    @Test("the v1 endpoint takes resource=")
    func v1Endpoint() async throws {
        try await withEmulator { emulator in
            let answer = try await post(
                emulator,
                path: "/\(EmulatorFixture.contoso)/oauth2/token",
                form: [
                    "grant_type": "client_credentials", "client_id": EmulatorFixture.daemon,
                    "client_secret": EmulatorFixture.secret,
                    "resource": "https://graph.microsoft.com",
                ]
            )
            #expect(answer.status == 200)
            let token = try #require(try StrictJSON.parseObject(answer.body)["access_token"]?.stringValue)
            #expect(try claims(of: token)["aud"]?.stringValue == "https://graph.microsoft.com")
        }
    }

    @Test(
        "assertion checks and consent errors",
        arguments: [
            ("audience of another endpoint", "aud:https://login.microsoftonline.com/x/oauth2/v2.0/token", 700023),
            ("audience of this tenant's v1 endpoint at the v2 endpoint", "aud:v1", 700023),
            ("exp absurdly far ahead", "exp:far", 700024),
            ("two audiences", "aud:array", 5_002_741),
            ("expired", "exp:past", 700024),
            ("issued in the future", "nbf:future", 700024),
            ("iss not the client", "iss:other", 700021),
            ("unsupported grant", "grant", 70003),
            ("scope without /.default", "scope", 1_002_012),
            ("role assignment required", "roleRequired", 501051),
        ]
    )
    func assertionChecks(name: String, mutation: String, code: Int) async throws {
        var model = EmulatorFixture.model
        model.applications.append(
            .init(
                clientId: "abababab-0000-0000-0000-000000000001",
                displayName: "strict api",
                homeTenant: EmulatorFixture.contoso,
                identifierUris: ["api://strict"],
                appRoles: [.init(value: "Strict.Read")],
                appRoleAssignmentRequired: true
            )
        )
        var options = Emulator.Options()
        options.https = true
        let emulator = try await EmulatorKeys.start(model, options: options)
        defer { Task { await emulator.stop() } }
        let endpoint = "\(emulator.baseURL)/\(EmulatorFixture.contoso)/oauth2/v2.0/token"
        let certificate = try SigningCertificate.load(path: TestPKI.shared.path("combined.pem"))
        let now = Int(Date().timeIntervalSince1970)
        var claims: [String: JSONValue] = [
            "aud": .string(endpoint), "iss": .string(EmulatorFixture.daemon), "sub": .string(EmulatorFixture.daemon),
            "jti": .string(UUID().uuidString), "iat": .number(Double(now)), "nbf": .number(Double(now)),
            "exp": .number(Double(now + 600)),
        ]
        switch mutation {
        case let value where value.hasPrefix("aud:https"): claims["aud"] = .string(String(value.dropFirst(4)))
        case "aud:array": claims["aud"] = .array([.string(endpoint), "https://other.example/token"])
        case "aud:v1": claims["aud"] = .string("\(emulator.baseURL)/\(EmulatorFixture.contoso)/oauth2/token")
        case "exp:far": claims["exp"] = .number(1e12)
        case "exp:past":
            claims["exp"] = .number(Double(now - 3600))
            claims["nbf"] = .number(Double(now - 4000))
        case "nbf:future":
            claims["nbf"] = .number(Double(now + 3600))
            claims["exp"] = .number(Double(now + 4000))
        case "iss:other": claims["iss"] = "someone-else"
        default: break
        }
        var header = JWSHeader()
        header.x5tS256 = certificate.thumbprint.x5tS256
        let assertion = try await JWSSigner(privateKey: certificate.privateKey, algorithm: .ps256).sign(
            claims: claims,
            header: header
        )
        let scope =
            mutation == "scope"
            ? "api://reports" : mutation == "roleRequired" ? "api://strict/.default" : "api://reports/.default"
        let answer = try await post(
            emulator,
            path: "/\(EmulatorFixture.contoso)/oauth2/v2.0/token",
            form: [
                "grant_type": mutation == "grant" ? "password" : "client_credentials",
                "client_id": EmulatorFixture.daemon, "scope": scope,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            ]
        )
        let body = try StrictJSON.parseObject(answer.body)
        #expect(
            body["error_codes"]?.arrayValue?.first?.integerValue == Int64(code),
            "\(name): \(body["error_description"]?.stringValue ?? "")"
        )
        #expect(body["error_description"]?.stringValue?.hasPrefix("AADSTS\(code):") == true)
        #expect(answer.status == 400 || answer.status == 401)
        await emulator.stop()
    }
}
