import Foundation
import TesseraJOSE

/// A validated app-only caller.
public struct ValidatedToken: Sendable {
    /// The tenant (`tid`), when the token names one.
    public let tenant: String?
    /// The calling application (`azp`, `appid` or `client_id`).
    public let callerApplication: String?
    /// Granted app roles (Entra `roles`; RFC 9068 `roles`, else the space-separated `scope`).
    public let roles: Set<String>
    /// The caller's object ID (`oid`, else `sub`).
    public let objectID: String?
    /// The issuer.
    public let issuer: String
    /// When it expires.
    public let expiresOn: Date
    /// Every claim, for the rare check this type does not model. Never authorize on `email`, `upn` or
    /// `preferred_username`.
    public let claims: [String: JSONValue]
}
