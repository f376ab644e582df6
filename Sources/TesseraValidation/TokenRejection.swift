/// Why a token was refused: a stable reason code (for logs, metrics and `tessera validate`) and an explanation that
/// never contains token material.
public struct TokenRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        public let code: String
        init(_ code: String) { self.code = code }
        public var description: String { code }

        public static let missingToken = Reason("missing_token")
        public static let tooLarge = Reason("too_large")
        public static let malformed = Reason("malformed")
        public static let badEncoding = Reason("bad_encoding")
        public static let badJSON = Reason("bad_json")
        public static let duplicateMember = Reason("duplicate_member")
        public static let unsupportedAlgorithm = Reason("unsupported_algorithm")
        public static let unsupportedType = Reason("unsupported_type")
        public static let unknownCritical = Reason("unknown_critical_header")
        public static let missingKeyID = Reason("missing_kid")
        public static let unknownKey = Reason("unknown_key")
        public static let keyAlgorithmMismatch = Reason("key_algorithm_mismatch")
        public static let keyIssuerMismatch = Reason("key_issuer_mismatch")
        public static let badSignature = Reason("bad_signature")
        public static let keysUnavailable = Reason("keys_unavailable")
        public static let badIssuer = Reason("bad_issuer")
        public static let badTenant = Reason("bad_tenant")
        public static let tenantNotAllowed = Reason("tenant_not_allowed")
        public static let badAudience = Reason("bad_audience")
        public static let expired = Reason("expired")
        public static let notYetValid = Reason("not_yet_valid")
        public static let badLifetime = Reason("bad_lifetime")
        public static let notAppOnly = Reason("not_app_only")
        public static let callerNotAllowed = Reason("caller_not_allowed")
        public static let weakClientAuthentication = Reason("weak_client_authentication")
        public static let missingRole = Reason("missing_role")
        public static let badProfile = Reason("bad_profile")

        /// Whether the rejection is about permissions (403 `insufficient_scope`) rather than the token (401).
        public var isAuthorization: Bool {
            [Self.missingRole, .callerNotAllowed, .notAppOnly, .weakClientAuthentication].contains(self)
        }
    }

    public let reason: Reason
    public let explanation: String

    public init(reason: Reason, explanation: String = "") {
        self.reason = reason
        self.explanation = explanation
    }

    init(_ reason: Reason, _ explanation: String) {
        self.reason = reason
        self.explanation = explanation
    }

    public var description: String { "\(reason.code): \(explanation)" }
}
