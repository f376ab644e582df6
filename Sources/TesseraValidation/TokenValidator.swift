import Foundation
import TesseraJOSE

/// Validates incoming access tokens (BRIEF §5), in this order: bounds and strict parsing; header (algorithm
/// allow-list, `typ`, `crit`, `kid`); issuer and tenant (before any key fetch, so random tenants cannot trigger
/// fetches); the key by `kid` (never a default key), whose allowed algorithms and issuer must fit; the signature;
/// audience; lifetime; profile, app-only, caller and roles.
public struct TokenValidator: AccessTokenValidator {
    /// The checks a token must pass.
    public let policy: ValidationPolicy
    /// Where the signing keys come from.
    public let keys: SigningKeySet

    /// The key set's ``SigningKeySet/generation``.
    public var keyGeneration: Int { keys.generation }
    /// The policy's clock (``ValidationPolicy/now``).
    public func now() -> Date { policy.now() }

    /// A validator that checks tokens against `policy` with keys from `keys`.
    public init(policy: ValidationPolicy, keys: SigningKeySet) {
        self.policy = policy
        self.keys = keys
    }

    /// Runs the checks in the order above; returns the caller, or throws the first failed check's rejection.
    public func validate(_ token: String) async throws(TokenRejection) -> ValidatedToken {
        let now = policy.now()
        let (header, claims) = try Self.parse(token, maximumBytes: policy.maximumTokenBytes)

        guard let alg = header["alg"]?.stringValue else {
            throw TokenRejection(.unsupportedAlgorithm, "the header has no alg")
        }
        guard let algorithm = policy.algorithms.first(where: { $0.name == alg }) else {
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
        if let keyIssuer = key.issuer, Self.fill(keyIssuer, tenant: claims["tid"]?.stringValue) != issuer {
            throw TokenRejection(.keyIssuerMismatch, "key '\(kid.prefix(64))' is published for another issuer")
        }
        guard JWSVerifier.verify(token, publicKey: key.publicKey, algorithm: algorithm) else {
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

    /// Bounds, three strict base64url segments, UTF-8 JSON objects without duplicate members.
    static func parse(
        _ token: String,
        maximumBytes: Int
    ) throws(TokenRejection) -> ([String: JSONValue], [String: JSONValue]) {
        let utf8 = token.utf8
        guard !utf8.isEmpty else { throw TokenRejection(.missingToken, "the token is empty") }
        guard utf8.count <= maximumBytes else {
            throw TokenRejection(.tooLarge, "the token is larger than \(maximumBytes) bytes")
        }
        let parts = utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            throw TokenRejection(.malformed, "a JWS compact token has exactly three non-empty segments")
        }
        guard let headerBytes = Base64URL.decode(utf8: parts[0]), let claimBytes = Base64URL.decode(utf8: parts[1]),
            Base64URL.decode(utf8: parts[2]) != nil
        else { throw TokenRejection(.badEncoding, "a segment is not strict base64url (no padding, canonical)") }
        do {
            return (try StrictJSON.parseObject(headerBytes), try StrictJSON.parseObject(claimBytes))
        } catch {
            throw TokenRejection(
                error.reason == .duplicateMember ? .duplicateMember : .badJSON,
                "the header or claims are not a valid JSON object: \(error)"
            )
        }
    }

    func checkType(_ typ: String?) throws(TokenRejection) {
        let lowered = typ?.lowercased()
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
            guard issuer == expected else { throw TokenRejection(.badIssuer, "iss is not the configured issuer") }
        case .template(let template, let tenants):
            guard let tid = claims["tid"]?.stringValue else {
                throw TokenRejection(.badTenant, "a multi-tenant issuer needs tid")
            }
            guard UUID(uuidString: tid) != nil, tid.count == 36 else {
                throw TokenRejection(.badTenant, "tid is not a GUID")
            }
            guard Self.fill(template, tenant: tid) == issuer else {
                throw TokenRejection(.badIssuer, "iss does not match the issuer template for tid")
            }
            if let tenants, !tenants.contains(tid.lowercased()) {
                throw TokenRejection(.tenantNotAllowed, "tenant \(tid) is not allowed")
            }
        }
        return issuer
    }

    static func fill(_ template: String, tenant: String?) -> String {
        guard let tenant, template.contains("{tenantid}") else { return template }
        return template.replacingOccurrences(of: "{tenantid}", with: tenant)
    }

    func checkAudience(_ claims: [String: JSONValue]) throws(TokenRejection) {
        let audiences: [String]
        switch claims["aud"] {
        case .string(let value): audiences = [value]
        case .array(let values): audiences = values.compactMap(\.stringValue)
        default: throw TokenRejection(.badAudience, "the token has no aud")
        }
        guard audiences.contains(where: policy.audiences.contains) else {
            throw TokenRejection(.badAudience, "aud is not this API")
        }
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
        var roles = Set(claims["roles"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        switch policy.profile {
        case .rfc9068:
            guard let clientID = claims["client_id"]?.stringValue, claims["jti"] != nil, claims["sub"] != nil else {
                throw TokenRejection(.badProfile, "an RFC 9068 token carries client_id, sub and jti")
            }
            caller = clientID
            level = nil
            if policy.appOnly, claims["sub"]?.stringValue != clientID {
                throw TokenRejection(.notAppOnly, "sub is not the client: a user token")
            }
            if claims["roles"] == nil, let scope = claims["scope"]?.stringValue {
                roles = Set(scope.split(separator: " ").map(String.init))
            }
        default:
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
            if policy.appOnly {
                guard claims["scp"] == nil else {
                    throw TokenRejection(.notAppOnly, "the token has scp: a delegated (user) token")
                }
                if let value = claims["idtyp"] {
                    guard let idtyp = value.stringValue else {
                        throw TokenRejection(.notAppOnly, "idtyp is not a string")
                    }
                    guard idtyp == "app" else {
                        throw TokenRejection(.notAppOnly, "idtyp is '\(idtyp.prefix(16))', not app")
                    }
                } else {
                    guard let oid = claims["oid"]?.stringValue, oid == claims["sub"]?.stringValue else {
                        throw TokenRejection(.notAppOnly, "without idtyp, an app token has oid == sub")
                    }
                }
            }
        }
        if let allowed = policy.allowedCallers, !(caller.map(allowed.contains) ?? false) {
            throw TokenRejection(.callerNotAllowed, "caller \(caller ?? "(none)") is not allowed")
        }
        if let minimum = policy.minimumClientAuthentication, (level ?? 0) < minimum {
            throw TokenRejection(
                .weakClientAuthentication,
                "the caller authenticated with level \(level ?? 0); \(minimum) is required (2 = certificate)"
            )
        }
        let required = policy.roles.values
        if !required.isEmpty {
            let satisfied = policy.roles.all ? required.isSubset(of: roles) : !required.isDisjoint(with: roles)
            guard satisfied else {
                throw TokenRejection(
                    .missingRole,
                    "\(policy.roles.all ? "all" : "one") of the roles \(required.sorted().joined(separator: ", ")) is required"
                )
            }
        }
        return ValidatedToken(
            tenant: claims["tid"]?.stringValue,
            callerApplication: caller,
            roles: roles,
            objectID: claims["oid"]?.stringValue ?? claims["sub"]?.stringValue,
            issuer: issuer,
            expiresOn: expiresOn,
            claims: claims
        )
    }
}
