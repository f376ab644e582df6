import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE
import _CryptoExtras

/// Parses a JWKS strictly: duplicate members rejected; RSA keys of at least 2048 bits for signing; a key's own `alg`
/// must be allowed, else the key is skipped.
public enum JWKSParser {
    /// The usable keys of a JWKS document, by `kid`; entries that ``key(_:allowed:)`` refuses or that have no `kid` are
    /// skipped. Throws for invalid JSON or a missing `keys` array.
    public static func parse(_ bytes: [UInt8], allowed: Set<JWSAlgorithm>) throws -> [String: VerificationKey] {
        let document = try StrictJSON.parseObject(bytes)
        guard let entries = document["keys"]?.arrayValue else {
            throw TokenRejection(.keysUnavailable, "the JWKS has no keys array")
        }
        var keys: [String: VerificationKey] = [:]
        for entry in entries {
            guard let object = entry.objectValue, let key = key(object, allowed: allowed), !key.kid.isEmpty else {
                continue
            }
            keys[key.kid] = key
        }
        return keys
    }

    /// One JWK as a verification key, or `nil` when it may not verify signatures here: not RSA, under 2048 bits,
    /// `use` other than `sig`, `key_ops` without `verify`, or an `alg` outside `allowed`.
    public static func key(_ object: [String: JSONValue], allowed: Set<JWSAlgorithm>) -> VerificationKey? {
        guard object["kty"]?.stringValue == "RSA",
            object["use"].map({ $0.stringValue == "sig" }) ?? true,
            object["key_ops"].map({ $0.arrayValue?.contains(.string("verify")) == true }) ?? true,
            let n = object["n"]?.stringValue.flatMap(lenient), let e = object["e"]?.stringValue.flatMap(lenient),
            let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e), publicKey.keySizeInBits >= 2048
        else { return nil }
        var algorithms = allowed
        if let alg = object["alg"] {
            algorithms = allowed.filter { $0.name == alg.stringValue }
            if algorithms.isEmpty { return nil }
        }
        return VerificationKey(
            kid: object["kid"]?.stringValue ?? "",
            publicKey: publicKey,
            algorithms: algorithms,
            issuer: object["issuer"]?.stringValue
        )
    }

    static func lenient(_ text: String) -> [UInt8]? {
        Base64URL.decode(text.trimmingCharacters(in: CharacterSet(charactersIn: "=")))
    }
}
