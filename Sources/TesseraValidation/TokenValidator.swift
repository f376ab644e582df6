import Crypto
import Foundation
import TesseraJOSE

/// Validates incoming access tokens (BRIEF §5), in this order: bounds and strict parsing; header (algorithm
/// allow-list, `typ`, `crit`, `kid`); issuer and tenant (before any key fetch, so random tenants cannot trigger
/// fetches); the key by `kid` (never a default key), whose allowed algorithms and issuer must fit; the signature;
/// audience; lifetime; profile (an access token, not an ID token), app-only, caller and roles.
///
/// Claim values — `iss`, `aud`, `tid`, the caller, roles and scopes — are compared by their UTF-8 bytes, code point by
/// code point as RFC 7519 §7.3 says, never with Swift's Unicode canonical equivalence (under which the Kelvin sign
/// `"\u{212A}"` equals `"K"` and a precomposed `"\u{E9}"` equals `"e\u{301}"`).
public struct TokenValidator: AccessTokenValidator {
    /// The checks a token must pass.
    public let policy: ValidationPolicy
    /// Where the signing keys come from.
    public let keys: SigningKeySet
    /// The policy's lists, keyed by their bytes.
    let exact: ExactLists
    /// Why the policy cannot be enforced (``ValidationPolicy/check()``), if it cannot: every token is then refused.
    /// Unique per validator made (its copies share it): the validated-token cache keys its entries by it.
    package let identity: UInt64

    /// The policy's audiences, callers, tenants and roles as the validator looks them up: by bytes.
    struct ExactLists: Sendable {
        let audiences: Set<ExactString>
        let callers: Set<ExactString>?
        /// Lowercased in ASCII (tenant IDs are GUIDs).
        let tenants: Set<ExactString>?
        /// The required roles, sorted.
        let roles: [String]

        init(_ policy: ValidationPolicy) {
            audiences = Set(policy.audiences.map(ExactString.init))
            callers = policy.allowedCallers.map { Set($0.map(ExactString.init)) }
            if case .template(_, let allowed?) = policy.issuer.backing {
                tenants = Set(allowed.map(ExactString.init))
            } else {
                tenants = nil
            }
            roles = policy.roles.values.sorted()
        }
    }

    /// The key set's ``SigningKeySet/generation``.
    public var keyGeneration: Int { keys.generation }
    /// The policy's clock (``ValidationPolicy/now``).
    public func now() -> Date { policy.now() }

    /// A validator that checks tokens against `policy` with keys from `keys`.
    public init(policy: ValidationPolicy, keys: SigningKeySet) {
        self.policy = policy
        self.keys = keys
        self.exact = ExactLists(policy)
        self.identity = ValidatorIdentity.next()
    }

    /// Runs the checks in the order above; returns the caller, or throws the first failed check's rejection.
    public func validate(_ token: String) async throws(TokenRejection) -> ValidatedToken {
        let now = policy.now()
        let parsed = try Self.parse(token, maximumBytes: policy.maximumTokenBytes)
        let header = parsed.header
        let claims = parsed.claims

        guard let alg = header["alg"]?.stringValue else {
            throw TokenRejection(.unsupportedAlgorithm, "the header has no alg")
        }
        guard let algorithm = policy.algorithms.first(where: { $0.name.utf8Equals(alg) }) else {
            throw TokenRejection(
                .unsupportedAlgorithm,
                "alg '\(alg.prefix(16))' is not allowed (allowed: \(policy.algorithms.map(\.name).sorted().joined(separator: ", ")))"
            )
        }
        if header["crit"] != nil {
            throw TokenRejection(
                .unknownCritical,
                "the header marks extensions critical that this validator does not understand"
            )
        }
        if let typ = header["typ"], typ.stringValue == nil {
            throw TokenRejection(.unsupportedType, "typ is not a string")
        }
        try checkType(header["typ"]?.stringValue)
        guard let kid = header["kid"]?.stringValue, !kid.isEmpty else {
            throw TokenRejection(
                .missingKeyID,
                "the header has no kid; keys are never guessed (jwk, jku, x5u and x5c are not used)"
            )
        }

        let issuer = try checkIssuer(claims)
        let key = try await keys.key(kid, now: now)
        guard key.algorithms.contains(algorithm) else {
            throw TokenRejection(.keyAlgorithmMismatch, "key '\(kid.prefix(64))' may not be used with \(alg)")
        }
        if let keyIssuer = key.issuer,
            !Self.matches(issuer, template: keyIssuer, tenant: claims["tid"]?.stringValue)
        {
            throw TokenRejection(.keyIssuerMismatch, "key '\(kid.prefix(64))' is published for another issuer")
        }
        guard
            JWSVerifier.verify(
                digest: parsed.signingInputDigest(),
                signature: parsed.signature,
                publicKey: key.publicKey,
                algorithm: algorithm
            )
        else {
            throw TokenRejection(.badSignature, "the signature does not verify")
        }
        try checkAudience(claims)
        let expiresOn = try checkLifetime(claims, now: now)
        let principal = try authorize(claims, issuer: issuer, expiresOn: expiresOn)
        return principal
    }

    /// A compact JWS checked with a given key, whatever its payload (the Wycheproof JWS vectors use non-JSON payloads):
    /// strict segments, a JSON-object header without duplicates or `crit`, an `alg` the key allows, and the signature.
    public static func verifyJWS(_ compact: String, key: VerificationKey) -> Bool {
        let parts = compact.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(utf8: parts[0]),
            Base64URL.decode(utf8: parts[1]) != nil,
            let header = try? StrictJSON.parseObject(headerBytes), header["crit"] == nil,
            let algorithm = key.algorithms.first(where: { $0.name == header["alg"]?.stringValue })
        else { return false }
        return JWSVerifier.verify(compact, publicKey: key.publicKey, algorithm: algorithm)
    }

    /// A token taken apart: its bytes, where the signing input ends, the decoded signature, header and claims.
    struct ParsedToken {
        let bytes: [UInt8]
        let signingInputEnd: Int
        let signature: [UInt8]
        let header: [String: JSONValue]
        let claims: [String: JSONValue]

        /// The SHA-256 of `header.payload`, hashed from the token's bytes in place.
        func signingInputDigest() -> SHA256.Digest {
            var hasher = SHA256()
            bytes.withUnsafeBytes {
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<signingInputEnd]))
            }
            return hasher.finalize()
        }
    }

    /// Bounds, three strict base64url segments, UTF-8 JSON objects without duplicate members — over one copy of the
    /// token's bytes, each segment decoded once.
    static func parse(_ token: String, maximumBytes: Int) throws(TokenRejection) -> ParsedToken {
        let count = token.utf8.count
        guard count > 0 else { throw TokenRejection(.missingToken, "the token is empty") }
        guard count <= maximumBytes else {
            throw TokenRejection(.tooLarge, "the token is larger than \(maximumBytes) bytes")
        }
        let bytes = Array(token.utf8)
        guard let first = Self.dot(in: bytes, from: 0), let second = Self.dot(in: bytes, from: first + 1),
            Self.dot(in: bytes, from: second + 1) == nil, first > 0, second > first + 1, second + 1 < count
        else {
            throw TokenRejection(.malformed, "a JWS compact token has exactly three non-empty segments")
        }
        guard let headerBytes = Base64URL.decode(utf8: bytes[..<first]),
            let claimBytes = Base64URL.decode(utf8: bytes[(first + 1)..<second]),
            let signature = Base64URL.decode(utf8: bytes[(second + 1)...])
        else { throw TokenRejection(.badEncoding, "a segment is not strict base64url (no padding, canonical)") }
        do {
            return ParsedToken(
                bytes: bytes,
                signingInputEnd: second,
                signature: signature,
                header: try StrictJSON.parseObject(headerBytes),
                claims: try StrictJSON.parseObject(claimBytes)
            )
        } catch {
            throw TokenRejection(
                error.reason == .duplicateMember ? .duplicateMember : .badJSON,
                "the header or claims are not a valid JSON object: \(error)"
            )
        }
    }

    /// The index of the first `.` in `bytes` at or after `start` (`memchr`: the token's kilobyte is scanned a word at
    /// a time, not a byte at a time).
    static func dot(in bytes: [UInt8], from start: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buffer in
            guard start < buffer.count, let base = buffer.baseAddress,
                let found = memchr(base + start, Int32(UInt8(ascii: ".")), buffer.count - start)
            else { return nil }
            return UnsafeRawPointer(found) - UnsafeRawPointer(base)
        }
    }

    /// `typ` compared without regard to ASCII case (RFC 7515 §4.1.9: media types are case-insensitive; every accepted
    /// value is ASCII, so no other letter can match one).
    func checkType(_ typ: String?) throws(TokenRejection) {
        let lowered = typ?.asciiLowercased
        switch policy.profile {
        case .rfc9068:
            guard lowered == "at+jwt" || lowered == "application/at+jwt" else {
                throw TokenRejection(.unsupportedType, "an RFC 9068 access token has typ at+jwt")
            }
        default:
            guard lowered == nil || lowered == "jwt" else {
                throw TokenRejection(.unsupportedType, "typ '\(typ!.prefix(32))' is not an Entra access token")
            }
        }
    }

    func checkIssuer(_ claims: [String: JSONValue]) throws(TokenRejection) -> String {
        guard let issuer = claims["iss"]?.stringValue else { throw TokenRejection(.badIssuer, "the token has no iss") }
        switch policy.issuer.backing {
        case .exact(let expected):
            guard issuer.utf8Equals(expected) else {
                throw TokenRejection(.badIssuer, "iss is not the configured issuer")
            }
        case .template(let template, _):
            guard let tid = claims["tid"]?.stringValue else {
                throw TokenRejection(.badTenant, "a multi-tenant issuer needs tid")
            }
            guard tid.utf8.count == 36, UUID(uuidString: tid) != nil else {
                throw TokenRejection(.badTenant, "tid is not a GUID")
            }
            guard Self.matches(issuer, template: template, tenant: tid) else {
                throw TokenRejection(.badIssuer, "iss does not match the issuer template for tid")
            }
            if let tenants = exact.tenants, !tenants.contains(ExactString(tid.asciiLowercased)) {
                throw TokenRejection(.tenantNotAllowed, "tenant \(tid) is not allowed")
            }
        }
        return issuer
    }

    /// Whether `value` is `template` with every `{tenantid}` replaced by `tenant` (`nil`: `template` itself), compared
    /// by UTF-8 bytes, without building the filled string.
    static func matches(_ value: String, template: String, tenant: String?) -> Bool {
        let placeholder = "{tenantid}".utf8
        var rest = value.utf8[...]
        var pattern = template.utf8[...]
        while let byte = pattern.first {
            if let tenant, byte == UInt8(ascii: "{"), pattern.starts(with: placeholder) {
                guard rest.starts(with: tenant.utf8) else { return false }
                rest = rest.dropFirst(tenant.utf8.count)
                pattern = pattern.dropFirst(placeholder.count)
            } else {
                guard rest.first == byte else { return false }
                rest = rest.dropFirst()
                pattern = pattern.dropFirst()
            }
        }
        return rest.isEmpty
    }

    func checkAudience(_ claims: [String: JSONValue]) throws(TokenRejection) {
        let accepted: Bool
        switch claims["aud"] {
        case .string(let value): accepted = exact.audiences.contains(ExactString(value))
        case .array(let values):
            accepted = values.contains { value in
                value.stringValue.map { exact.audiences.contains(ExactString($0)) } ?? false
            }
        default: throw TokenRejection(.badAudience, "the token has no aud")
        }
        guard accepted else { throw TokenRejection(.badAudience, "aud is not this API") }
    }

    func checkLifetime(_ claims: [String: JSONValue], now: Date) throws(TokenRejection) -> Date {
        let skew = policy.clockSkew.seconds
        let time = now.timeIntervalSince1970
        guard let exp = claims["exp"]?.doubleValue else {
            throw TokenRejection(.badLifetime, "the token has no numeric exp")
        }
        guard time < exp + skew else { throw TokenRejection(.expired, "the token expired") }
        if let nbf = claims["nbf"] {
            guard let value = nbf.doubleValue, value <= exp else {
                throw TokenRejection(.badLifetime, "nbf is after exp")
            }
            guard value - skew <= time else { throw TokenRejection(.notYetValid, "the token is not valid yet (nbf)") }
        }
        if let iat = claims["iat"] {
            guard let value = iat.doubleValue, value - skew <= time else {
                throw TokenRejection(.notYetValid, "iat is in the future")
            }
        }
        return Date(timeIntervalSince1970: exp)
    }

    func authorize(
        _ claims: [String: JSONValue],
        issuer: String,
        expiresOn: Date
    ) throws(TokenRejection) -> ValidatedToken {
        let caller: String?
        let level: Int?
        var roles = claims["roles"]?.arrayValue?.compactMap(\.stringValue) ?? []
        switch policy.profile {
        case .rfc9068:
            guard let clientID = claims["client_id"]?.stringValue, claims["jti"] != nil, claims["sub"] != nil else {
                throw TokenRejection(.badProfile, "an RFC 9068 token carries client_id, sub and jti")
            }
            caller = clientID
            level = nil
            if policy.appOnly {
                try Self.checkRFC9068AppOnly(
                    claims,
                    clientID: clientID,
                    callersConfigured: policy.allowedCallers != nil
                )
            }
            if claims["roles"] == nil, let scope = claims["scope"]?.stringValue {
                roles = scope.utf8.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            }
        default:
            let entra = try Self.entraCaller(claims)
            caller = entra.caller
            level = entra.level
            if policy.appOnly { try Self.checkEntraAppOnly(claims) }
        }
        if let allowed = exact.callers, !(caller.map({ allowed.contains(ExactString($0)) }) ?? false) {
            throw TokenRejection(.callerNotAllowed, "caller \(caller ?? "(none)") is not allowed")
        }
        if let minimum = policy.minimumClientAuthentication, (level ?? 0) < minimum {
            throw TokenRejection(
                .weakClientAuthentication,
                "the caller authenticated with level \(level ?? 0); \(minimum) is required (2 = certificate)"
            )
        }
        let required = exact.roles
        if !required.isEmpty {
            let granted = roles
            func grants(_ role: String) -> Bool { granted.contains { $0.utf8Equals(role) } }
            let satisfied = policy.roles.all ? required.allSatisfy(grants) : required.contains(where: grants)
            guard satisfied else {
                throw TokenRejection(
                    .missingRole,
                    "\(policy.roles.all ? "all" : "one") of the roles \(required.joined(separator: ", ")) is required"
                )
            }
        }
        return ValidatedToken(
            tenant: claims["tid"]?.stringValue,
            callerApplication: caller,
            roles: Set(roles),
            objectID: claims["oid"]?.stringValue ?? claims["sub"]?.stringValue,
            issuer: issuer,
            expiresOn: expiresOn,
            claims: claims,
            grantedRoles: roles
        )
    }

    /// The Entra caller (`appid` in v1, `azp` in v2) and its authentication level, once the claims show an access
    /// token: no `nonce` (only ID tokens carry one), a caller, and `scp` (delegated) or `roles` (app-only). An ID token
    /// for the same app has the API's `aud` and issuer, so without this it would pass where `appOnly` is `false`.
    static func entraCaller(_ claims: [String: JSONValue]) throws(TokenRejection) -> (caller: String, level: Int?) {
        let caller: String?
        let level: Int?
        switch claims["ver"]?.stringValue {
        case "1.0":
            caller = claims["appid"]?.stringValue
            level = claims["appidacr"]?.stringValue.flatMap { Int($0) }
        case "2.0":
            caller = claims["azp"]?.stringValue
            level = claims["azpacr"]?.stringValue.flatMap { Int($0) }
        default:
            throw TokenRejection(.badProfile, "ver must be 1.0 or 2.0")
        }
        if claims["nonce"] != nil {
            throw TokenRejection(
                .notAccessToken,
                "the token has nonce: it is an ID token (proof of a sign-in to an app), not an access token for this "
                    + "API; send an access token requested for this API's scope"
            )
        }
        guard let caller else {
            throw TokenRejection(
                .notAccessToken,
                "the token names no calling application (azp in v2, appid in v1): an ID token, not an access token"
            )
        }
        // `idtyp: app` (Entra's optional access-token claim) also marks an access token: an app token granted no app
        // role has no `roles`, and an API should answer it 403 (no permission), not 401 (no token).
        guard
            claims["scp"]?.stringValue != nil || claims["roles"]?.arrayValue != nil
                || claims["idtyp"]?.stringValue?.utf8Equals("app") == true
        else {
            throw TokenRejection(
                .notAccessToken,
                "the token has neither scp (delegated) nor roles (app-only) nor idtyp app: an ID token, or an app token "
                    + "granted no app role of this API; grant the caller an app role (Entra adds roles only when one is "
                    + "granted) or add the idtyp optional claim to the API's access tokens"
            )
        }
        return (caller: caller, level: level)
    }

    /// Entra app-only: no `scp`; `idtyp == app`, or without `idtyp`, `oid == sub`.
    static func checkEntraAppOnly(_ claims: [String: JSONValue]) throws(TokenRejection) {
        guard claims["scp"] == nil else {
            throw TokenRejection(.notAppOnly, "the token has scp: a delegated (user) token")
        }
        if let value = claims["idtyp"] {
            guard let idtyp = value.stringValue else {
                throw TokenRejection(.notAppOnly, "idtyp is not a string")
            }
            guard idtyp.utf8Equals("app") else {
                throw TokenRejection(.notAppOnly, "idtyp is '\(idtyp.prefix(16))', not app")
            }
        } else {
            guard let oid = claims["oid"]?.stringValue, let sub = claims["sub"]?.stringValue, oid.utf8Equals(sub) else {
                throw TokenRejection(.notAppOnly, "without idtyp, an app token has oid == sub")
            }
        }
    }

    /// RFC 9068 app-only: `sub == client_id`, then `gty == client_credentials` when the server sends `gty`, else a
    /// policy with allowed callers (checked with the other caller rules).
    static func checkRFC9068AppOnly(
        _ claims: [String: JSONValue],
        clientID: String,
        callersConfigured: Bool
    ) throws(TokenRejection) {
        guard let sub = claims["sub"]?.stringValue, sub.utf8Equals(clientID) else {
            throw TokenRejection(.notAppOnly, "sub is not the client: a user token")
        }
        guard let value = claims["gty"] else {
            guard callersConfigured else {
                throw TokenRejection(
                    .notAppOnly,
                    "no gty claim, and the policy names no allowedCallers: sub == client_id alone does not prove a "
                        + "client's own token; set allowedCallers (tessera validate --caller)"
                )
            }
            return
        }
        guard let gty = value.stringValue, gty.utf8Equals("client_credentials") else {
            throw TokenRejection(
                .notAppOnly,
                "gty is '\(value.stringValue?.prefix(32) ?? "not a string")', not client_credentials: a token "
                    + "granted for a user"
            )
        }
    }
}
