import Foundation
import TesseraJOSE

/// A validated app-only caller.
public struct ValidatedToken: Sendable {
    /// The tenant (`tid`), when the token names one.
    public let tenant: String?
    /// The calling application (`azp`, `appid` or `client_id`).
    public let callerApplication: String?
    /// Granted app roles (Entra `roles`; RFC 9068 `roles`, else the space-separated `scope`). A `Set<String>` treats
    /// canonically equivalent strings as equal (`"\u{212A}"` and `"K"`): authorize with ``hasRole(_:)``, which
    /// does not.
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
    /// The granted roles as the token lists them, for byte comparison.
    let grantedRoles: [String]

    /// Whether the token grants `role`, compared by UTF-8 bytes (code points, as RFC 7519 compares claim values).
    public func hasRole(_ role: String) -> Bool {
        grantedRoles.contains { $0.utf8Equals(role) }
    }
}
