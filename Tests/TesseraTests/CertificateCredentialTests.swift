import Foundation
import Tessera
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("Certificate credential: the client assertion as Entra wants it")
struct CertificateCredentialTests {
    let pki = TestPKI.shared

    @Test("default: PS256 with x5t#S256, integer times, 10-minute lifetime, aud = the token endpoint")
    func defaultAssertion() async throws {
        try await TestTokenServer.daemon().run { server in
            _ = try await withClient(server, credential: try certificateCredential()) { client in
                try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            let request = try #require(server.tokenRequests.first)
            #expect(request.form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            #expect(request.form["client_secret"] == nil)
            let header = try #require(request.assertionHeader)
            let claims = try #require(request.assertionClaims)
            #expect(header["alg"] == "PS256")
            #expect(header["typ"] == "JWT")
            #expect(header["x5t#S256"]?.stringValue == (try SigningCertificate.fromFile(pki)).thumbprint.x5tS256)
            #expect(header["x5t"] == nil)
            #expect(header["x5c"] == nil)
            #expect(claims["aud"]?.stringValue == server.baseURL + "/\(tenantID)/oauth2/v2.0/token")
            #expect(claims["iss"]?.stringValue == daemonClientID)
            #expect(claims["sub"]?.stringValue == daemonClientID)
            let nbf = try #require(claims["nbf"]?.integerValue)
            #expect(claims["iat"]?.integerValue == nbf)
            #expect(claims["exp"]?.integerValue == nbf + 600)
            // Integers on the wire: no fraction (Glewlwyd rejects decimals).
            let payload = String(
                decoding: Base64URL.decode(request.form["client_assertion"]!.split(separator: ".")[1])!,
                as: UTF8.self
            )
            for claim in ["exp", "nbf", "iat"] {
                #expect(payload.firstMatch(of: try Regex("\"\(claim)\":[0-9]+[,}]")) != nil, "\(claim) is an integer")
            }
        }
    }

    @Test("RS256 sends the SHA-1 x5t; x5c carries the chain as standard base64 DER")
    func rs256WithChain() async throws {
        try await TestTokenServer.daemon().run { server in
            let credential = try certificateCredential {
                $0.algorithm = .rs256
                $0.sendCertificateChain = true
            }
            _ = try await withClient(server, credential: credential) { client in
                try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            let header = try #require(server.tokenRequests.first?.assertionHeader)
            let certificate = try SigningCertificate.fromFile(pki)
            #expect(header["alg"] == "RS256")
            #expect(header["x5t"]?.stringValue == certificate.thumbprint.x5t)
            #expect(header["x5t#S256"] == nil)
            let x5c = try #require(header["x5c"]?.arrayValue)
            #expect(x5c == [.string(Data(certificate.leafDER).base64EncodedString())])
        }
    }

    @Test("a fresh jti for every attempt")
    func freshJTI() async throws {
        try await TestTokenServer.daemon().run { server in
            try await withClient(server, credential: try certificateCredential()) { client in
                for _ in 0..<4 {
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            let jtis = server.tokenRequests.compactMap { $0.assertionClaims?["jti"]?.stringValue }
            #expect(jtis.count == 4)
            #expect(Set(jtis).count == 4)
        }
    }

    @Test("per-request tenant: a multi-tenant app object defaulting to 'organizations' names the tenant per call")
    func perRequestTenant() async throws {
        try await TestTokenServer.daemon().run { server in
            let other = "contoso.example"
            _ = try await withClient(server, credential: try certificateCredential(), tenant: "organizations") {
                client in
                try await client.identityProvider.token(
                    for: TokenRequest(scope: "https://graph.microsoft.com/.default", tenant: other)
                )
            }
            let request = try #require(server.tokenRequests.first)
            #expect(request.path == "/\(other)/oauth2/v2.0/token")
            #expect(request.assertionClaims?["aud"]?.stringValue == server.baseURL + "/\(other)/oauth2/v2.0/token")
        }
    }

    @Test("RFC 7523bis opt-in: aud = issuer, typ client-authentication+jwt")
    func rfc7523bis() async throws {
        try await TestTokenServer.daemon().run { server in
            _ = try await withClient(server, credential: try certificateCredential { $0.audience = .issuer }) {
                client in
                try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            let request = try #require(server.tokenRequests.first)
            #expect(request.assertionHeader?["typ"] == "client-authentication+jwt")
            #expect(request.assertionClaims?["aud"]?.stringValue == server.baseURL + "/\(tenantID)/v2.0")
        }
    }

    @Test("extra client claims are signed in; registered claims cannot be overridden")
    func extraClaims() async throws {
        try await TestTokenServer.daemon().run { server in
            let credential = try certificateCredential {
                $0.extraClaims = ["xms_az_claim": "custom", "aud": "https://evil.example/token", "iss": "someone-else"]
                $0.lifetime = .seconds(3600)
            }
            _ = try await withClient(server, credential: credential) { client in
                try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            let claims = try #require(server.tokenRequests.first?.assertionClaims)
            #expect(claims["xms_az_claim"] == "custom")
            #expect(claims["aud"]?.stringValue == server.baseURL + "/\(tenantID)/oauth2/v2.0/token")
            #expect(claims["iss"]?.stringValue == daemonClientID)
            #expect(
                claims["exp"]!.integerValue! - claims["nbf"]!.integerValue! == 600,
                "lifetime is capped at 10 minutes"
            )
        }
    }

    @Test("an unregistered certificate is AADSTS700027 with the fix")
    func unregisteredCertificate() async throws {
        try await TestTokenServer.daemon().run { server in
            let credential = try ClientCertificateCredential.load(
                path: pki.path("other-cert.pem"),
                keyPath: pki.path("other-key.pem")
            )
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: credential) {
                    try await $0.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            #expect(error?.code == .invalidClient)
            #expect(error?.aadstsCode == 700_027)
            #expect(error?.message.contains("upload the certificate") == true)
        }
    }

    @Test(
        "every certificate format signs an assertion the server accepts",
        arguments: [
            ("combined.pem", nil, false), ("cert.pem", "key-encrypted.pem", true), ("bundle.pfx", nil, true),
            ("bundle-legacy.pfx", nil, true), ("cert.pem", "key-pkcs1.pem", false),
        ] as [(String, String?, Bool)]
    )
    func formats(file: String, keyFile: String?, password: Bool) async throws {
        let credential = try ClientCertificateCredential.load(
            path: pki.path(file),
            keyPath: keyFile.map(pki.path),
            password: password ? TestPKI.password : nil
        )
        try await TestTokenServer.daemon().run { server in
            let token = try await withClient(server, credential: credential) {
                try await $0.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(token.token.hasPrefix("test-token-"))
        }
    }

    @Test("a certificate that cannot be loaded is credentialUnavailable naming the cause, not the password")
    func loadFailure() {
        do {
            _ = try ClientCertificateCredential.load(path: pki.path("bundle.pfx"), password: "wrong")
            Issue.record("loaded")
        } catch {
            #expect(error.code == .credentialUnavailable)
            #expect(error.message.contains("password is wrong"))
        }
    }
}

extension SigningCertificate {
    static func fromFile(_ pki: TestPKI) throws -> SigningCertificate {
        try SigningCertificate.load(path: pki.path("combined.pem"))
    }
}
