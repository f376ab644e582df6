import JWTKit
import _CryptoExtras

/// The RSA signature algorithms a certificate credential uses.
public struct JWSAlgorithm: Sendable, Hashable, CustomStringConvertible {
    /// The JWS `alg` name (`PS256`, `RS256`).
    public let name: String
    /// RSASSA-PSS with SHA-256 (32-byte salt): Entra's current form, paired with `x5t#S256`.
    public static let ps256 = JWSAlgorithm(name: "PS256")
    /// RSASSA-PKCS1-v1_5 with SHA-256: the older form, paired with `x5t`; the only one some servers know.
    public static let rs256 = JWSAlgorithm(name: "RS256")
    /// The `alg` name.
    public var description: String { name }
}
