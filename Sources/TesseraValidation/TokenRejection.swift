/// Why a token was refused: a stable reason code (for logs, metrics and `tessera validate`) and an explanation that
/// never contains token material.
public struct TokenRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which check refused the token, as a stable code.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        /// The stable snake_case code (e.g. `bad_signature`), for logs, metrics and `error_description`.
        public let code: String
        init(_ code: String) { self.code = code }
        /// The ``code``.
        public var description: String { code }

        /// The token is empty.
        public static let missingToken = Reason("missing_token")
        /// The token is larger than the policy's ``ValidationPolicy/maximumTokenBytes``.
        public static let tooLarge = Reason("too_large")
        /// The token is not three non-empty, dot-separated segments.
        public static let malformed = Reason("malformed")
        /// A segment is not strict base64url (no padding, canonical trailing bits).
        public static let badEncoding = Reason("bad_encoding")
        /// The header or the claims are not a valid JSON object.
        public static let badJSON = Reason("bad_json")
        /// The header or the claims name a member twice.
        public static let duplicateMember = Reason("duplicate_member")
        /// The header has no `alg`, or one the policy does not allow.
        public static let unsupportedAlgorithm = Reason("unsupported_algorithm")
        /// The header's `typ` is not a string, or not the profile's (Entra: `JWT` or none; RFC 9068: `at+jwt`).
        public static let unsupportedType = Reason("unsupported_type")
        /// The header has `crit`: it marks extensions critical, and this validator understands none.
        public static let unknownCritical = Reason("unknown_critical_header")
        /// The header has no `kid`, or an empty one; keys are never guessed.
        public static let missingKeyID = Reason("missing_kid")
        /// The key set has no key with the token's `kid`, even after any refresh the limits allow.
        public static let unknownKey = Reason("unknown_key")
        /// The key for the `kid` may not be used with the token's `alg`.
        public static let keyAlgorithmMismatch = Reason("key_algorithm_mismatch")
        /// The key for the `kid` is published for another issuer.
        public static let keyIssuerMismatch = Reason("key_issuer_mismatch")
        /// The signature does not verify with the key.
        public static let badSignature = Reason("bad_signature")
        /// The signing keys could not be fetched (or had no usable key), and no cached key has the `kid`.
        public static let keysUnavailable = Reason("keys_unavailable")
        /// `iss` is missing, or is not the configured issuer (or the multi-tenant template filled with `tid`).
        public static let badIssuer = Reason("bad_issuer")
        /// The issuer is multi-tenant, and `tid` is missing or not a GUID.
        public static let badTenant = Reason("bad_tenant")
        /// `tid` is not one of the multi-tenant issuer's allowed tenants.
        public static let tenantNotAllowed = Reason("tenant_not_allowed")
        /// `aud` is missing, or names none of the policy's audiences.
        public static let badAudience = Reason("bad_audience")
        /// `exp` is past, beyond the clock skew.
        public static let expired = Reason("expired")
        /// `nbf` or `iat` is in the future beyond the clock skew, or `iat` is not a number.
        public static let notYetValid = Reason("not_yet_valid")
        /// `exp` is missing or not a number, or `nbf` is not a number or is after `exp`.
        public static let badLifetime = Reason("bad_lifetime")
        /// The policy requires an app-only token; this one is a user (delegated) token or does not show it is an app's.
        public static let notAppOnly = Reason("not_app_only")
        /// The calling application (`azp`, `appid` or `client_id`) is missing or not an allowed caller.
        public static let callerNotAllowed = Reason("caller_not_allowed")
        /// The caller's `azpacr`/`appidacr` (0 when absent) is below the policy's minimum.
        public static let weakClientAuthentication = Reason("weak_client_authentication")
        /// The token lacks the roles the policy requires.
        public static let missingRole = Reason("missing_role")
        /// The claims do not fit the profile: Entra `ver` not 1.0 or 2.0; RFC 9068 lacking `client_id`, `sub` or `jti`.
        public static let badProfile = Reason("bad_profile")
        /// Not an Entra access token: it carries `nonce` (an ID token), names no calling application (`azp` in v2,
        /// `appid` in v1), or has neither `scp` (delegated) nor `roles` (app-only; Entra adds it only when the caller
        /// was granted an app role of the API).
        public static let notAccessToken = Reason("not_access_token")

        /// Whether the rejection is about permissions (403 `insufficient_scope`) rather than the token (401).
        public var isAuthorization: Bool {
            [Self.missingRole, .callerNotAllowed, .notAppOnly, .weakClientAuthentication].contains(self)
        }

        /// Whether the check that refused the token runs after its signature verified — audience, lifetime, profile,
        /// app-only, caller and roles: claims the issuer vouched for. The others (parsing, header, issuer, tenant, key
        /// lookup, signature, a misconfigured policy) are decided for anyone who sends any bytes; naming them would
        /// let an unauthenticated client probe the configuration (which tenants are allowed, which `kid`s exist), so
        /// TesseraHummingbird's `AppTokenMiddleware` answers them with one neutral description.
        public var isAfterSignature: Bool { Self.afterSignature.contains(self) }

        static let afterSignature: Set<Reason> = [
            .badAudience, .expired, .notYetValid, .badLifetime, .badProfile, .notAccessToken, .notAppOnly,
            .callerNotAllowed, .weakClientAuthentication, .missingRole,
        ]
    }

    /// Which check refused the token.
    public let reason: Reason
    /// What was wrong, in words; this module's explanations never quote the token itself.
    public let explanation: String

    /// A rejection for `reason`, with an optional `explanation` (default empty).
    public init(reason: Reason, explanation: String = "") {
        self.reason = reason
        self.explanation = explanation
    }

    init(_ reason: Reason, _ explanation: String) {
        self.reason = reason
        self.explanation = explanation
    }

    /// `code: explanation`, e.g. `bad_audience: aud is not this API`.
    public var description: String { "\(reason.code): \(explanation)" }
}
