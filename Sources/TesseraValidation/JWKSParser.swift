import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE
import _CryptoExtras

/// Parses a JWKS strictly: duplicate members rejected; RSA keys of at least 2048 bits for signing; a key's own `alg`
/// must be allowed, else the key is skipped; a key whose `issuer` member is not a string is skipped; a `kid` that two
/// RSA keys share is ambiguous, and neither key is used.
public enum JWKSParser {
    /// A JWKS's usable keys by `kid` (compared by bytes), and the `kid`s refused because two RSA keys share them.
    struct Keys: Sendable {
        var keys: [ExactString: VerificationKey] = [:]
        var duplicateKids: Set<ExactString> = []
    }

    /// The usable keys of a JWKS document, by `kid`; entries that ``key(_:allowed:)`` refuses or that have no `kid` are
    /// skipped. Throws for invalid JSON or a missing `keys` array.
    ///
    /// A `kid` published by two or more RSA entries (usable or not) names no key: all of them are dropped — the set
    /// cannot say which one signs, and the JWKS's other keys stay usable (RFC 7517 §4.5 lets one `kid` name keys of
    /// different `kty` only). A token with that `kid` is refused as ``TokenRejection/Reason/unknownKey``, its
    /// explanation saying why.
    public static func parse(_ bytes: [UInt8], allowed: Set<JWSAlgorithm>) throws -> [String: VerificationKey] {
        var keys: [String: VerificationKey] = [:]
        var collided: Set<String> = []
        // Distinct kids may still be canonically equivalent, i.e. one key of a String-keyed dictionary: drop both.
        for (kid, key) in try parseKeys(bytes, allowed: allowed).keys where !collided.contains(kid.string) {
            if keys.removeValue(forKey: kid.string) != nil {
                collided.insert(kid.string)
            } else {
                keys[kid.string] = key
            }
        }
        return keys
    }

    /// ``parse(_:allowed:)`` keyed by bytes, with the `kid`s dropped as duplicates.
    static func parseKeys(_ bytes: [UInt8], allowed: Set<JWSAlgorithm>) throws -> Keys {
        let document = try StrictJSON.parseObject(bytes)
        guard let entries = document["keys"]?.arrayValue else {
            throw TokenRejection(.keysUnavailable, "the JWKS has no keys array")
        }
        var rsaEntries: [ExactString: Int] = [:]
        for entry in entries {
            if let object = entry.objectValue, object["kty"]?.stringValue == "RSA",
                let kid = object["kid"]?.stringValue
            {
                rsaEntries[ExactString(kid), default: 0] += 1
            }
        }
        var result = Keys()
        for entry in entries {
            guard let object = entry.objectValue, let key = key(object, allowed: allowed), !key.kid.isEmpty else {
                continue
            }
            let kid = ExactString(key.kid)
            guard rsaEntries[kid, default: 0] < 2 else {
                result.duplicateKids.insert(kid)
                continue
            }
            result.keys[kid] = key
        }
        return result
    }

    /// One JWK as a verification key, or `nil` when it may not verify signatures here: not RSA, under 2048 bits,
    /// `use` other than `sig`, `key_ops` without `verify`, an `alg` outside `allowed`, or an `issuer` member that is
    /// not a string (the key's scope cannot be read, so the key is not used rather than used for every issuer).
    public static func key(_ object: [String: JSONValue], allowed: Set<JWSAlgorithm>) -> VerificationKey? {
        guard object["kty"]?.stringValue == "RSA",
            object["use"].map({ $0.stringValue == "sig" }) ?? true,
            object["key_ops"].map({ $0.arrayValue?.contains(.string("verify")) == true }) ?? true,
            let n = object["n"]?.stringValue.flatMap(lenient), let e = object["e"]?.stringValue.flatMap(lenient),
            let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e), publicKey.keySizeInBits >= 2048
        else { return nil }
        let issuer: String?
        switch object["issuer"] {
        case nil: issuer = nil
        case .string(let value)?: issuer = value
        default: return nil
        }
        var algorithms = allowed
        if let alg = object["alg"] {
            algorithms = allowed.filter { $0.name == alg.stringValue }
            if algorithms.isEmpty { return nil }
        }
        return VerificationKey(
            kid: object["kid"]?.stringValue ?? "",
            publicKey: publicKey,
            algorithms: algorithms,
            issuer: issuer
        )
    }

    static func lenient(_ text: String) -> [UInt8]? {
        Base64URL.decode(text.trimmingCharacters(in: CharacterSet(charactersIn: "=")))
    }
}
