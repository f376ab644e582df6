import Foundation
import Synchronization
import TesseraJOSE

/// The emulator's token-signing keys: RS256, `kid` = the certificate's `x5t`, published in the JWKS with `x5t`, `x5c`
/// and the `issuer` they sign for. Rotation keeps the previous key published for a grace period.
final class SigningKeys: Sendable {
    struct Key: Sendable {
        let certificate: SigningCertificate
        let signer: JWSSigner
        var kid: String { certificate.thumbprint.x5t }
    }

    private let keys: Mutex<(current: Key, previous: [Key])>

    /// Loads the current key from `<state>/signing-key.pem` (so tokens survive a restart and startup needs no key
    /// generation), or makes and saves one.
    init(stateDirectory: String) async throws {
        let path = stateDirectory + "/signing-key.pem"
        let key: Key
        if let saved = try? SigningCertificate.load(path: path),
            saved.leaf.notValidAfter > Date().addingTimeInterval(86_400)
        {
            key = Key(certificate: saved, signer: try await JWSSigner(privateKey: saved.privateKey, algorithm: .rs256))
        } else {
            key = try await Self.makeKey()
            let pem = try key.certificate.leaf.serializeAsPEM().pemString + "\n" + key.certificate.privateKeyPEM + "\n"
            try SecretFile.write(Array(pem.utf8), to: path)
        }
        keys = Mutex((key, []))
    }

    static func makeKey() async throws -> Key {
        let certificate = try CertificateFactory.selfSigned(commonName: "Tessera emulator token signing", days: 365)
        return Key(
            certificate: certificate,
            signer: try await JWSSigner(privateKey: certificate.privateKey, algorithm: .rs256)
        )
    }

    var current: Key { keys.withLock { $0.current } }

    /// Makes a new current key; the old one stays published (up to `keepPrevious`).
    func rotate(keepPrevious: Int = 2) async throws {
        let key = try await Self.makeKey()
        keys.withLock { keys in
            keys.previous = Array(([keys.current] + keys.previous).prefix(keepPrevious))
            keys.current = key
        }
    }

    /// The JWKS document for an issuer.
    func jwks(issuer: String) throws -> [String: Any] {
        let all = keys.withLock { [$0.current] + $0.previous }
        return [
            "keys": try all.map { key -> [String: Any] in
                let primitives = try key.certificate.privateKey.publicKey.getKeyPrimitives()
                return [
                    "kty": "RSA", "use": "sig", "kid": key.kid, "x5t": key.kid,
                    "n": Base64URL.encode(primitives.modulus), "e": Base64URL.encode(primitives.publicExponent),
                    "x5c": [Data(key.certificate.leafDER).base64EncodedString()], "issuer": issuer,
                ]
            }
        ]
    }
}
