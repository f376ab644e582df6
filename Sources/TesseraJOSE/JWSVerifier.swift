import JWTKit
import _CryptoExtras

/// Checks an RS256/PS256 compact JWS signature with a known RSA public key through jwt-kit. The caller chose the key
/// and the algorithm (never the token's header): this answers only "did this key sign these bytes".
public enum JWSVerifier {
    public static func verify(_ compact: String, publicKey: _RSA.Signing.PublicKey, algorithm: JWSAlgorithm) async -> Bool {
        do {
            let key = try Insecure.RSA.PublicKey(backing: publicKey)
            let keys = JWTKeyCollection()
            switch algorithm {
            case .rs256: await keys.add(rsa: key, digestAlgorithm: .sha256)
            case .ps256: await keys.add(pss: key, digestAlgorithm: .sha256)
            default: return false
            }
            _ = try await keys.verify(compact, as: JSONClaims.self)
            return true
        } catch {
            return false
        }
    }
}
