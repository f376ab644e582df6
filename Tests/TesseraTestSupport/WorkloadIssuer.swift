import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import TesseraJOSE
import _CryptoExtras

/// An external OpenID issuer on loopback HTTP (a Kubernetes cluster's, GitHub's): discovery, JWKS, and tokens for
/// workloads — the other side of workload identity federation.
package final class WorkloadIssuer: Sendable {
    package let key: _RSA.Signing.PrivateKey
    package let kid = "test-issuer-key"
    private let url = Mutex("")

    package init() throws {
        key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    }

    package var issuer: String { url.withLock { $0 } }

    package func run<R: Sendable>(_ body: @Sendable (WorkloadIssuer) async throws -> R) async throws -> R {
        let router = Router()
        router.get(".well-known/openid-configuration") { _, _ -> Response in
            self.json([
                "issuer": self.issuer, "jwks_uri": self.issuer + "/openid/v1/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
            ])
        }
        router.get("openid/v1/jwks") { _, _ -> Response in
            let primitives = try self.key.publicKey.getKeyPrimitives()
            return self.json([
                "keys": [
                    [
                        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                        "n": Base64URL.encode(primitives.modulus), "e": Base64URL.encode(primitives.publicExponent),
                    ]
                ]
            ])
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: Logger(label: "test-issuer", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return try await app.test(.live) { client in
            url.withLock { $0 = "http://127.0.0.1:\(client.port!)" }
            return try await body(self)
        }
    }

    package func json(_ object: [String: Any]) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object)))
        )
    }

    /// A workload token, as the kubelet projects one into the pod.
    package func token(
        subject: String,
        audience: String = "api://AzureADTokenExchange",
        lifetime: Int64 = 3600,
        issuedAgo: Int64 = 0,
        signingKey: _RSA.Signing.PrivateKey? = nil,
        issuer: String? = nil
    ) async throws -> String {
        let now = Int64(Date().timeIntervalSince1970) - issuedAgo
        var header = JWSHeader()
        header.keyID = kid
        let signer = try await JWSSigner(privateKey: signingKey ?? key, algorithm: .rs256)
        return try await signer.sign(
            claims: [
                "iss": .string(issuer ?? self.issuer), "sub": .string(subject), "aud": .array([.string(audience)]),
                "iat": .number(Double(now)), "nbf": .number(Double(now)), "exp": .number(Double(now + lifetime)),
                "kubernetes.io": .object(["namespace": "payroll", "serviceaccount": .object(["name": "daemon"])]),
            ],
            header: header
        )
    }
}
