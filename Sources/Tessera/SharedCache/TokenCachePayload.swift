import Foundation

/// What a shared entry's ciphertext holds: the token and what a replica needs to serve it.
package struct TokenCachePayload: Codable, Sendable {
    var token: String
    var tokenType: String
    var expiresOn: Double
    var extendedExpiresOn: Double?
    var lifetime: Int64
    var tenant: String?
    var scopes: [String]

    /// What `token` is stored as.
    package init(_ token: AccessToken) {
        self.token = token.token
        self.tokenType = token.tokenType
        self.expiresOn = token.expiresOn.timeIntervalSince1970
        self.extendedExpiresOn = token.extendedExpiresOn?.timeIntervalSince1970
        self.lifetime = token.lifetime
        self.tenant = token.tenant
        self.scopes = token.scopes
    }

    package static func encode(_ token: AccessToken) throws -> [UInt8] {
        Array(try JSONEncoder().encode(TokenCachePayload(token)))
    }

    /// The token, or `nil` when the plaintext is not a payload.
    package static func decode(_ bytes: [UInt8]) -> AccessToken? {
        (try? JSONDecoder().decode(TokenCachePayload.self, from: Data(bytes)))?.accessToken
    }

    /// The token served from the second level, or `nil` when the payload holds none.
    package var accessToken: AccessToken? {
        guard !token.isEmpty, expiresOn.isFinite else { return nil }
        let payload = self
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
