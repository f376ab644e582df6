import JWTKit
import _CryptoExtras

/// Header fields of a JWS we sign. `x5c` is a chain of PEM certificates (jwt-kit writes them as base64 DER).
public struct JWSHeader: Sendable {
    public var type: String? = "JWT"
    public var keyID: String?
    public var x5t: String?
    public var x5tS256: String?
    public var x5cPEM: [String]?
    public init() {}
}
