import Crypto
import Foundation
import _CryptoExtras

/// Checks an RS256/PS256 JWS signature with a known RSA public key (swift-crypto; PSS with SHA-256 and a 32-byte salt).
/// The caller chose the key and the algorithm — never the token's header; this only answers "did this key sign these
/// bytes". Works for any payload, JSON or not.
public enum JWSVerifier {
    /// Verifies `signature` over `signingInput` (`base64url(header).base64url(payload)`).
    public static func verify(
        signingInput: some DataProtocol,
        signature: [UInt8],
        publicKey: _RSA.Signing.PublicKey,
        algorithm: JWSAlgorithm
    ) -> Bool {
        // RSA signatures are exactly the modulus length; anything else (e.g. a zero-length or all-zero blob) is
        // invalid.
        verify(
            digest: SHA256.hash(data: signingInput),
            signature: signature,
            publicKey: publicKey,
            algorithm: algorithm
        )
    }

    /// Verifies `signature` over the bytes whose SHA-256 is `digest` (hashed by the caller, from its own buffer).
    public static func verify(
        digest: SHA256.Digest,
        signature: [UInt8],
        publicKey: _RSA.Signing.PublicKey,
        algorithm: JWSAlgorithm
    ) -> Bool {
        guard signature.count == (publicKey.keySizeInBits + 7) / 8 else { return false }
        let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
        switch algorithm {
        case .rs256: return publicKey.isValidSignature(rsaSignature, for: digest, padding: .insecurePKCS1v1_5)
        case .ps256: return publicKey.isValidSignature(rsaSignature, for: digest, padding: .PSS)
        default: return false
        }
    }

    /// Verifies a compact JWS (`header.payload.signature`, strict base64url signature).
    public static func verify(_ compact: String, publicKey: _RSA.Signing.PublicKey, algorithm: JWSAlgorithm) -> Bool {
        let utf8 = Array(compact.utf8)
        guard let lastDot = utf8.lastIndex(of: UInt8(ascii: ".")),
            let signature = Base64URL.decode(utf8: utf8[(lastDot + 1)...])
        else {
            return false
        }
        return verify(signingInput: utf8[..<lastDot], signature: signature, publicKey: publicKey, algorithm: algorithm)
    }
}
