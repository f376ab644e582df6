import Foundation
import TesseraJOSE

/// What a token must be to be accepted. Every check of BRIEF §5 has a setting here; defaults are strict.
public struct ValidationPolicy: Sendable {
    /// Which issuers are accepted.
    public struct Issuer: Sendable, Hashable {
        enum Backing: Sendable, Hashable {
            case exact(String)
            case template(String, tenants: Set<String>?)
        }
        let backing: Backing
        /// Exactly this issuer (a single-tenant API, or a non-Entra server).
        public static func exact(_ issuer: String) -> Issuer { Issuer(backing: .exact(issuer)) }
        /// Entra multi-tenant: the template with `{tenantid}` (e.g.
        /// `https://login.microsoftonline.com/{tenantid}/v2.0`), filled with the token's `tid` (which must be a GUID),
        /// limited to `tenants` when given (compared by bytes, ignoring ASCII case).
        public static func multiTenant(template: String, allowedTenants: Set<String>?) -> Issuer {
            Issuer(backing: .template(template, tenants: allowedTenants.map { Set($0.map(\.asciiLowercased)) }))
        }
    }

    /// Token profile.
    public struct Profile: Sendable, Hashable {
        let name: String
        /// Entra access tokens (`typ: JWT`; v1 `appid`/`appidacr` or v2 `azp`/`azpacr`).
        public static let entra = Profile(name: "entra")
        /// RFC 9068 JWT access tokens (`typ: at+jwt`, `client_id`, `jti`).
        public static let rfc9068 = Profile(name: "rfc9068")
    }

    /// Role requirement.
    public struct Roles: Sendable, Hashable {
        let values: Set<String>
        let all: Bool
        /// No role required.
        public static let none = Roles(values: [], all: true)
        /// Every role in `roles` required.
        public static func allOf(_ roles: Set<String>) -> Roles { Roles(values: roles, all: true) }
        /// At least one role in `roles` required (an empty set requires none).
        public static func anyOf(_ roles: Set<String>) -> Roles { Roles(values: roles, all: false) }
    }

    /// Which issuers are accepted (checked before any key is fetched).
    public var issuer: Issuer
    /// Accepted audiences (the API's client ID and/or App ID URI), compared exactly (by bytes).
    public var audiences: Set<String>
    /// Signature algorithms keys may be used with. Default RS256 (Entra's).
    public var algorithms: Set<JWSAlgorithm> = [.rs256]
    /// The token profile. Default ``Profile/entra``.
    public var profile: Profile = .entra
    /// Leeway for `exp`, `nbf` and `iat`. Default 5 minutes.
    public var clockSkew: Duration = .seconds(300)
    /// Require an app-only token. Default `true` — this toolkit's APIs serve daemons.
    ///
    /// Entra: `idtyp == app` and no `scp`; without `idtyp`, `oid == sub` and no `scp`. RFC 9068: `sub == client_id`,
    /// and then either the server's `gty` claim, which must be `client_credentials`, or — as `sub == client_id` alone
    /// cannot tell a client's own token from a user's whose `sub` happens to equal a client ID — ``allowedCallers``:
    /// a token without `gty` under a policy without callers is refused (``TokenRejection/Reason/notAppOnly``).
    ///
    /// Either way (`true` or `false`) an Entra token must be an access token: one carrying `nonce` (an ID token), one
    /// without a calling application (`azp`/`appid`) and one with neither `scp` nor `roles` are refused
    /// (``TokenRejection/Reason/notAccessToken``).
    public var appOnly = true
    /// The roles the caller must have. Default ``Roles/none``.
    public var roles: Roles = .none
    /// Accepted callers (`azp` / `appid` / `client_id`), compared by bytes. `nil`: any (with RFC 9068 ``appOnly``, only
    /// tokens carrying `gty` pass).
    public var allowedCallers: Set<String>?
    /// Minimum `azpacr`/`appidacr` (1 secret, 2 certificate). `nil`: any.
    public var minimumClientAuthentication: Int?
    /// Largest token accepted, in bytes. Default 16 KiB.
    public var maximumTokenBytes = 16 * 1024
    /// The clock. Default: the system clock.
    public var now: @Sendable () -> Date = { Date() }

    /// A policy accepting `issuer` and `audiences`; every other setting keeps its strict default.
    public init(issuer: Issuer, audiences: Set<String>) {
        self.issuer = issuer
        self.audiences = audiences
    }
}
