import AsyncHTTPClient
import Foundation
import NIOSSL
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing
import X509
import _CryptoExtras

@Suite("Emulator: Entra-compatible token service, exercised by the Tessera client over HTTPS")
struct EmulatorTests {
    @Test(
        "secret and certificate (PS256 + x5t#S256, RS256 + x5t, x5c) tokens in Entra's v2 app-only shape",
        arguments: [
            "secret", "ps256", "rs256", "rs256+x5c",
        ]
    )
    func tokens(method: String) async throws {
        try await withEmulator { emulator in
            let credential: any ClientCredential =
                method == "secret"
                ? ClientSecretCredential(secret: EmulatorFixture.secret)
                : try certificateCredential {
                    $0.algorithm = method == "ps256" ? .ps256 : .rs256
                    $0.sendCertificateChain = method.hasSuffix("x5c")
                }
            let token = try await withClient(try emulatorClient(emulator, credential: credential)) {
                try await $0.token(scope: "api://reports/.default")
            }
            #expect(token.lifetime == 3599)
            let claims = try claims(of: token.token)
            #expect(claims["aud"]?.stringValue == EmulatorFixture.api)
            #expect(claims["iss"]?.stringValue == "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0")
            #expect(claims["azp"]?.stringValue == EmulatorFixture.daemon)
            #expect(claims["azpacr"]?.stringValue == (method == "secret" ? "1" : "2"))
            #expect(claims["idtyp"] == "app")
            #expect(claims["oid"] != nil && claims["oid"] == claims["sub"])
            #expect(claims["roles"] == .array(["Reports.Read.All"]))
            #expect(claims["tid"]?.stringValue == EmulatorFixture.contoso)
            #expect(claims["ver"] == "2.0")
            #expect(claims["scp"] == nil)
        }
    }

    @Test("Graph tokens are v1, like real Graph's: aud https://graph.microsoft.com, appid/appidacr, v1 issuer")
    func graphV1() async throws {
        try await withEmulator { emulator in
            let token = try await withClient(
                try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
            ) {
                try await $0.token(scope: "https://graph.microsoft.com/.default")
            }
            let claims = try claims(of: token.token)
            #expect(claims["aud"]?.stringValue == "https://graph.microsoft.com")
            #expect(claims["iss"]?.stringValue == "\(emulator.baseURL)/\(EmulatorFixture.contoso)/")
            #expect(claims["appid"]?.stringValue == EmulatorFixture.daemon)
            #expect(claims["appidacr"] == "1")
            #expect(claims["ver"] == "1.0")
            #expect(claims["roles"] == .array(["User.Read.All"]))
        }
    }

    @Test("tokens verify against the published JWKS key (kid, x5c)")
    func signatureVerifies() async throws {
        try await withEmulator { emulator in
            let token = try await withClient(
                try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
            ) {
                try await $0.token(scope: "api://reports/.default")
            }
            let jwks = try await fetchJSON(emulator, path: "/\(EmulatorFixture.contoso)/discovery/v2.0/keys")
            let key = try #require(jwks["keys"]?.arrayValue?.first)
            let header = try StrictJSON.parseObject(
                try #require(Base64URL.decode(token.token.split(separator: ".")[0]))
            )
            #expect(header["kid"] == key["kid"])
            #expect(header["alg"] == "RS256")
            #expect(key["issuer"]?.stringValue == "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0")
            let certificate = try SigningCertificate.fromX5C(try #require(key["x5c"]?.arrayValue?.first?.stringValue))
            #expect(JWSVerifier.verify(token.token, publicKey: certificate, algorithm: .rs256))
        }
    }

    @Test(
        "Entra's errors",
        arguments: [
            (
                "wrong secret", "secret:wrong", EmulatorFixture.contoso, "api://reports/.default",
                IdentityError.Code.invalidClient, 7_000_215
            ),
            (
                "expired secret", "secret:" + EmulatorFixture.expiredSecret, EmulatorFixture.contoso,
                "api://reports/.default", .invalidClient, 7_000_222
            ),
            (
                "unregistered certificate", "other-cert", EmulatorFixture.contoso, "api://reports/.default",
                .invalidClient, 700027
            ),
            (
                "unregistered certificate sent as x5c", "other-cert+x5c", EmulatorFixture.contoso,
                "api://reports/.default", .invalidClient, 700027
            ),
            (
                "unknown tenant", "secret", "12345678-0000-0000-0000-000000000000", "api://reports/.default",
                .unknownTenant, 90002
            ),
            (
                "app not in tenant (no consent)", "secret", EmulatorFixture.fabrikam, "api://reports/.default",
                .applicationNotFound, 700016
            ),
            (
                "resource not in tenant", "secret", EmulatorFixture.contoso, "api://nothing/.default", .invalidResource,
                500011
            ),
        ] as [(String, String, String, String, IdentityError.Code, Int)]
    )
    func errors(
        name: String,
        credential: String,
        tenant: String,
        scope: String,
        code: IdentityError.Code,
        aadsts: Int
    ) async throws {
        try await withEmulator { emulator in
            let chosen: any ClientCredential
            switch credential {
            case "secret": chosen = ClientSecretCredential(secret: EmulatorFixture.secret)
            case let value where value.hasPrefix("secret:"):
                chosen = ClientSecretCredential(secret: String(value.dropFirst(7)))
            default:
                var options = ClientCertificateCredential.AssertionOptions()
                options.sendCertificateChain = credential.hasSuffix("x5c")
                chosen = try ClientCertificateCredential.load(
                    path: TestPKI.shared.path("other-cert.pem"),
                    keyPath: TestPKI.shared.path("other-key.pem"),
                    options: options
                )
            }
            let error = await expectIdentityError {
                _ = try await withClient(try emulatorClient(emulator, credential: chosen, tenant: tenant)) {
                    try await $0.token(scope: scope)
                }
            }
            #expect(error?.code == code, "\(name)")
            #expect(error?.aadstsCode == aadsts, "\(name)")
            #expect(error?.correlationID != nil)
        }
    }

    @Test("an x5c leaf alone never authenticates: without x5t the registered certificate is found by DER identity only")
    func x5cOnlyRegistered() async throws {
        try await withEmulator { emulator in
            // The registered certificate sent as x5c is accepted (DER-identical); covered by the rs256+x5c case, which
            // also sends x5t. Here: an assertion whose header carries only x5c of a foreign certificate.
            let foreign = try ClientCertificateCredential.load(
                path: TestPKI.shared.path("other-cert.pem"),
                keyPath: TestPKI.shared.path("other-key.pem")
            )
            let context = CredentialContext(
                clientID: EmulatorFixture.daemon,
                endpoint: TokenEndpoint(
                    url: "\(emulator.baseURL)/\(EmulatorFixture.contoso)/oauth2/v2.0/token",
                    issuer: "",
                    tenant: EmulatorFixture.contoso
                ),
                now: Date()
            )
            let assertion = try await foreign.makeAssertion(for: context)
            let error = await expectIdentityError {
                _ = try await withClient(
                    try emulatorClient(emulator, credential: ClientAssertionCredential(assertion: assertion))
                ) {
                    try await $0.token(scope: "api://reports/.default")
                }
            }
            #expect(error?.aadstsCode == 700027)
        }
    }

    @Test("admin consent: a multi-tenant app becomes usable in a new tenant with the roles it requires")
    func adminConsent() async throws {
        try await withEmulator { emulator in
            let client = try emulatorClient(
                emulator,
                credential: ClientSecretCredential(secret: EmulatorFixture.secret),
                tenant: EmulatorFixture.fabrikam
            )
            let before = await expectIdentityError {
                _ = try await withClient(client) { try await $0.token(scope: "https://graph.microsoft.com/.default") }
            }
            #expect(before?.aadstsCode == 700016)

            let bad = try await get(
                emulator,
                path:
                    "/\(EmulatorFixture.fabrikam)/adminconsent?client_id=\(EmulatorFixture.daemon)&redirect_uri=https://evil.example/&state=s1"
            )
            #expect(bad.status == 400)
            #expect(String(decoding: bad.body, as: UTF8.self).contains("AADSTS50011"))

            // The administrator's browser: the consent page (GET), then its Accept button (POST).
            let consent = try await acceptAdminConsent(
                emulator,
                url: emulator.baseURL
                    + "/fabrikam.example/adminconsent?client_id=\(EmulatorFixture.daemon)&redirect_uri=\(EmulatorFixture.redirect)&state=s1"
            )
            #expect(consent.status == 302)
            let location = try #require(consent.location)
            #expect(location.hasPrefix(EmulatorFixture.redirect))
            #expect(location.contains("admin_consent=True"))
            #expect(location.contains("tenant=\(EmulatorFixture.fabrikam)"))
            #expect(location.contains("state=s1"))

            let token = try await withClient(client) {
                try await $0.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(try claims(of: token.token)["roles"] == .array(["User.Read.All"]))
            #expect(try claims(of: token.token)["tid"]?.stringValue == EmulatorFixture.fabrikam)
        }
    }

    @Test(
        "discovery: every field MSAL reads; common uses the {tenantid} template; instance discovery builds from our base URL"
    )
    func discovery() async throws {
        try await withEmulator { emulator in
            let document = try await fetchJSON(emulator, path: "/contoso.example/v2.0/.well-known/openid-configuration")
            #expect(document["issuer"]?.stringValue == "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0")
            #expect(
                document["token_endpoint"]?.stringValue
                    == "\(emulator.baseURL)/\(EmulatorFixture.contoso)/oauth2/v2.0/token"
            )
            #expect(document["authorization_endpoint"] != nil)
            #expect(document["jwks_uri"] != nil)
            let common = try await fetchJSON(emulator, path: "/common/v2.0/.well-known/openid-configuration")
            #expect(common["issuer"]?.stringValue == "\(emulator.baseURL)/{tenantid}/v2.0")
            let v1 = try await fetchJSON(emulator, path: "/\(EmulatorFixture.contoso)/.well-known/openid-configuration")
            #expect(v1["issuer"]?.stringValue == "\(emulator.baseURL)/\(EmulatorFixture.contoso)/")
            let instance = try await fetchJSON(
                emulator,
                path:
                    "/common/discovery/instance?api-version=1.0&authorization_endpoint=https://localhost/\(EmulatorFixture.contoso)/oauth2/v2.0/authorize"
            )
            #expect(
                instance["tenant_discovery_endpoint"]?.stringValue
                    == "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0/.well-known/openid-configuration"
            )
        }
    }

    @Test("a state folder another local user could write to is refused, naming the folder and the fix")
    func untrustedStateFolder() async throws {
        let folder = NSTemporaryDirectory() + "tessera-planted-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(folder, 0o777)
        var options = Emulator.Options()
        options.stateDirectory = folder
        do {
            let emulator = try await Emulator.start(EmulatorFixture.model, options: options)
            await emulator.stop()
            Issue.record("a world-writable state folder was adopted")
        } catch let error as EmulatorError {
            #expect(error.description.contains(folder))
            #expect(error.description.contains("writable by group or others (mode 777)"))
            #expect(error.description.contains("remove it and let it be created again"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "nothing was written into it")
    }

    @Test("plain HTTP on loopback with --http")
    func plainHTTP() async throws {
        try await withEmulator(https: false) { emulator in
            #expect(emulator.baseURL.hasPrefix("http://127.0.0.1:"))
            #expect(emulator.caFile == nil)
            let token = try await withClient(
                try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
            ) {
                try await $0.token(scope: "api://reports/.default")
            }
            #expect(
                try claims(of: token.token)["iss"]?.stringValue == "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0"
            )
        }
    }
}

extension SigningCertificate {
    /// The public key of a standard-base64 DER certificate (a JWKS `x5c` entry).
    static func fromX5C(_ base64: String) throws -> _RSA.Signing.PublicKey {
        let certificate = try Certificate(derEncoded: Array(try #require(Data(base64Encoded: base64))))
        return try #require(_RSA.Signing.PublicKey(certificate.publicKey))
    }
}
