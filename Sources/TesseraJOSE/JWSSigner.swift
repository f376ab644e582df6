import JWTKit
import _CryptoExtras

/// Signs compact JWS with an RSA key through jwt-kit. Claims are written as given: integral numbers without fractions
/// (jwt-kit's default date encoding writes fractional seconds, which servers such as Glewlwyd reject).
public struct JWSSigner: Sendable {
    private let keys: JWTKeyCollection
    /// The algorithm every signature uses (written as the header's `alg`).
    public let algorithm: JWSAlgorithm

    /// Signs with `privateKey` using `algorithm`, which must be RS256 or PS256; throws when the key is under 2048 bits.
    public init(privateKey: _RSA.Signing.PrivateKey, algorithm: JWSAlgorithm) async throws {
        let key = try Insecure.RSA.PrivateKey(backing: privateKey)
        let keys = JWTKeyCollection()
        switch algorithm {
        case .rs256: await keys.add(rsa: key, digestAlgorithm: .sha256)
        case .ps256: await keys.add(pss: key, digestAlgorithm: .sha256)
        default: preconditionFailure("unsupported JWS algorithm \(algorithm)")
        }
        self.keys = keys
        self.algorithm = algorithm
    }

    /// Returns the compact serialization `header.claims.signature`.
    public func sign(claims: [String: JSONValue], header: JWSHeader) async throws -> String {
        var jwtHeader = JWTHeader()
        jwtHeader.alg = algorithm.name
        // Assign only what is set: jwt-kit writes an explicit `null` for a field assigned `nil`.
        if let type = header.type { jwtHeader.typ = type }
        if let keyID = header.keyID { jwtHeader.kid = keyID }
        if let x5t = header.x5t { jwtHeader.x5t = x5t }
        if let x5tS256 = header.x5tS256 { jwtHeader.x5tS256 = x5tS256 }
        if let x5c = header.x5cPEM { jwtHeader.x5c = x5c }
        return try await keys.sign(JSONClaims(members: claims), header: jwtHeader)
    }
}

/// A claims set of arbitrary JSON members, as jwt-kit's payload type.
struct JSONClaims: JWTPayload {
    var members: [String: JSONValue]
    init(members: [String: JSONValue]) { self.members = members }
    init(from decoder: any Decoder) throws { members = try [String: JSONValue](from: decoder) }
    func encode(to encoder: any Encoder) throws { try members.encode(to: encoder) }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
