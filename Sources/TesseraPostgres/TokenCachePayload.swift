import Foundation
import Tessera

/// What a row's ciphertext holds: the token and what a replica needs to serve it.
struct TokenCachePayload: Codable {
    var token: String
    var tokenType: String
    var expiresOn: Double
    var extendedExpiresOn: Double?
    var lifetime: Int64
    var tenant: String?
    var scopes: [String]

    static func encode(_ token: AccessToken) throws -> [UInt8] {
        let payload = TokenCachePayload(
            token: token.token,
            tokenType: token.tokenType,
            expiresOn: token.expiresOn.timeIntervalSince1970,
            extendedExpiresOn: token.extendedExpiresOn?.timeIntervalSince1970,
            lifetime: token.lifetime,
            tenant: token.tenant,
            scopes: token.scopes
        )
        return Array(try JSONEncoder().encode(payload))
    }

    /// The token, or `nil` when the plaintext is not a payload.
    static func decode(_ bytes: [UInt8]) -> AccessToken? {
        guard let payload = try? JSONDecoder().decode(TokenCachePayload.self, from: Data(bytes)),
            !payload.token.isEmpty, payload.expiresOn.isFinite
        else { return nil }
        return AccessToken(
            token: payload.token,
            tokenType: payload.tokenType,
            expiresOn: Date(timeIntervalSince1970: payload.expiresOn),
            extendedExpiresOn: payload.extendedExpiresOn.map { Date(timeIntervalSince1970: $0) },
            lifetime: payload.lifetime,
            tenant: payload.tenant,
            scopes: payload.scopes,
            source: .sharedCache
        )
    }
}
