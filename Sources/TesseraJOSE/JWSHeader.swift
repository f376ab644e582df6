import JWTKit
import _CryptoExtras

/// Header fields of a JWS we sign. `x5c` is a chain of PEM certificates (jwt-kit writes them as base64 DER).
public struct JWSHeader: Sendable {
    /// The `typ` header. Default `JWT`; `nil` leaves it out.
    public var type: String? = "JWT"
    /// The `kid` header; left out when `nil`.
    public var keyID: String?
    /// The `x5t` header (base64url SHA-1 certificate thumbprint); left out when `nil`.
    public var x5t: String?
    /// The `x5t#S256` header (base64url SHA-256 certificate thumbprint); left out when `nil`.
    public var x5tS256: String?
    /// The `x5c` header's certificate chain as PEM strings; left out when `nil`.
    public var x5cPEM: [String]?
    /// A header with `typ: JWT` and nothing else.
    public init() {}
}
