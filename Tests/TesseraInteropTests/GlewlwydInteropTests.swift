import Foundation
import Tessera
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

/// Tessera against a real, independent OAuth 2.0 / OIDC server (Glewlwyd 2.7.5 from Debian), through a generic OIDC
/// authority with discovery. Required under `CI=true`; skipped locally when Glewlwyd is not installed.
@Suite("Interop: Glewlwyd", .serialized, .enabled(if: Peers.available("glewlwyd")))
struct GlewlwydInteropTests {
    struct Method: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let clientID: String
        let credential: @Sendable () throws -> any ClientCredential
    }

    static let methods: [Method] = [
        Method(testDescription: "client_secret_basic", clientID: Glewlwyd.secretClientID) {
            ClientSecretCredential(secret: Glewlwyd.secret, method: .basic)
        },
        Method(testDescription: "client_secret_post", clientID: Glewlwyd.secretClientID) {
            ClientSecretCredential(secret: Glewlwyd.secret, method: .post)
        },
        Method(testDescription: "private_key_jwt RS256", clientID: Glewlwyd.certificateClientID) {
            try certificateCredential { $0.algorithm = .rs256 }
        },
        Method(testDescription: "private_key_jwt PS256", clientID: Glewlwyd.certificateClientID) {
            try certificateCredential { $0.algorithm = .ps256 }
        },
    ]

    @Test("tokens with every client-authentication method; wrong credentials are clear errors")
    func everyMethod() async throws {
        let glewlwyd = try await Glewlwyd.start(clientPublicKeyPath: TestPKI.shared.path("cert.pem"))
        defer { glewlwyd.stop() }
        for method in Self.methods {
            let client = try ConfidentialClient(
                configuration: .init(
                    clientID: method.clientID,
                    authority: try .oidc(issuer: glewlwyd.issuer),
                    credential: try method.credential()
                )
            )
            do {
                // Twice: the second assertion must carry a fresh jti (Glewlwyd rejects a replay).
                for _ in 0..<2 {
                    let token = try await client.token(scope: "api.read")
                    #expect(
                        token.token.split(separator: ".").count == 3,
                        "\(method.testDescription): a JWT access token"
                    )
                    #expect(token.lifetime == 3600, "\(method.testDescription)")
                    // The RFC 9068 token validates with keys from Glewlwyd's discovery; app-only means sub == client_id.
                    var policy = ValidationPolicy(issuer: .exact(glewlwyd.issuer), audiences: ["api.read"])
                    policy.profile = .rfc9068
                    policy.roles = .allOf(["api.read"])
                    policy.allowedCallers = [method.clientID]
                    let keys = SigningKeySet(
                        url: glewlwyd.issuer + "/.well-known/openid-configuration",
                        discovery: true
                    )
                    let principal = try await TokenValidator(policy: policy, keys: keys).validate(token.token)
                    #expect(principal.callerApplication == method.clientID)
                    #expect(principal.roles == ["api.read"])
                    policy.audiences = ["other.scope"]
                    await expectRejection(.badAudience) {
                        try await TokenValidator(policy: policy, keys: keys).validate(token.token)
                    }
                    policy.audiences = ["api.read"]
                    policy.profile = .entra
                    await expectRejection(.unsupportedType) {
                        try await TokenValidator(policy: policy, keys: keys).validate(token.token)
                    }
                    try await keys.shutdown()
                }
            } catch {
                Issue.record("\(method.testDescription): \(error)")
            }
            try await client.shutdown()
        }

        // Wrong secret and an unregistered key: Glewlwyd answers 403 with an empty body.
        for credential in [
            ClientSecretCredential(secret: "wrong", method: .basic) as any ClientCredential,
            try ClientCertificateCredential.load(
                path: TestPKI.shared.path("other-cert.pem"),
                keyPath: TestPKI.shared.path("other-key.pem")
            ),
        ] {
            let clientID = credential is ClientSecretCredential ? Glewlwyd.secretClientID : Glewlwyd.certificateClientID
            let client = try ConfidentialClient(
                configuration: .init(
                    clientID: clientID,
                    authority: try .oidc(issuer: glewlwyd.issuer),
                    credential: credential
                )
            )
            let error = await expectIdentityError { _ = try await client.token(scope: "api.read") }
            try await client.shutdown()
            #expect(error?.code == .requestRejected || error?.code == .invalidClient, "\(error.map { "\($0)" } ?? "")")
            #expect(error?.httpStatus == 403 || error?.httpStatus == 401)
        }
    }
}
