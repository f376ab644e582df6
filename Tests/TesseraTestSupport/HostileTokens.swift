import Crypto
import Foundation
import TesseraJOSE
import TesseraValidation
import Testing
import _CryptoExtras

/// Every bad input of BRIEF §5 and the incident classes it names, as named cases: the validator's table, reused by
/// the Hummingbird middleware's tests.
package enum HostileTokens {
    package struct Case: Sendable, CustomTestStringConvertible {
        package let testDescription: String
        package let reason: TokenRejection.Reason
        package let token: @Sendable (TestIssuer) -> String
        package init(
            _ name: String,
            _ reason: TokenRejection.Reason,
            _ token: @escaping @Sendable (TestIssuer) -> String
        ) {
            self.testDescription = name
            self.reason = reason
            self.token = token
        }
    }

    package static func policy() -> ValidationPolicy {
        var policy = ValidationPolicy(
            issuer: .multiTenant(template: TestIssuer.template, allowedTenants: [TestIssuer.tenant]),
            audiences: [TestIssuer.api]
        )
        policy.roles = .allOf(["Reports.Read.All"])
        policy.allowedCallers = [TestIssuer.daemon]
        policy.minimumClientAuthentication = 2
        return policy
    }

    package static func validator() throws -> TokenValidator {
        TokenValidator(policy: policy(), keys: try SigningKeySet(jwks: TestIssuer.shared.jwks()))
    }

    package static func claims(_ change: (inout [String: JSONValue]) -> Void) -> [String: JSONValue] {
        var claims = TestIssuer.baseClaims()
        change(&claims)
        return claims
    }

    package static func header(_ change: (inout [String: JSONValue]) -> Void) -> [String: JSONValue] {
        var header: [String: JSONValue] = ["alg": "RS256", "typ": "JWT", "kid": "k1"]
        change(&header)
        return header
    }

    package static func replaceSegment(_ token: String, _ index: Int, _ value: String) -> String {
        var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts[index] = value
        return parts.joined(separator: ".")
    }

    package static let now = Date()
    package static let cases: [Case] = [
        // Structure and encoding
        Case("empty token", .missingToken) { _ in "" },
        Case("one segment", .malformed) { _ in "abc" },
        Case("two segments", .malformed) { $0.mint().split(separator: ".").prefix(2).joined(separator: ".") },
        Case("four segments", .malformed) { $0.mint() + ".abc" },
        Case("empty signature segment (alg none style)", .malformed) { replaceSegment($0.mint(), 2, "") },
        Case("padding in the header", .badEncoding) { issuer in
            replaceSegment(issuer.mint(), 0, String(issuer.mint().split(separator: ".")[0]) + "=")
        },
        Case("whitespace inside a segment", .badEncoding) { issuer in
            replaceSegment(issuer.mint(), 1, " " + String(issuer.mint().split(separator: ".")[1]))
        },
        Case("standard base64 alphabet", .badEncoding) { issuer in
            replaceSegment(issuer.mint(), 2, "ab+/" + String(issuer.mint().split(separator: ".")[2].dropFirst(4)))
        },
        Case("non-canonical trailing bits", .badEncoding) { _ in
            TestIssuer.encode(["alg": "RS256"]) + "." + TestIssuer.encode([:]) + ".AB"
        },
        Case("larger than 16 KiB", .tooLarge) {
            $0.mint(claims: claims { $0["pad"] = .string(String(repeating: "x", count: 17_000)) })
        },
        Case("header not JSON", .badJSON) { $0.mint(rawHeader: Base64URL.encode(Array("not json".utf8))) },
        Case("header is a JSON array", .badJSON) { $0.mint(rawHeader: Base64URL.encode(Array("[1]".utf8))) },
        Case("claims not JSON", .badJSON) { $0.mint(rawClaims: Base64URL.encode(Array("{oops".utf8))) },
        Case("duplicate alg in the header", .duplicateMember) {
            $0.mint(rawHeader: Base64URL.encode(Array(#"{"alg":"RS256","kid":"k1","alg":"none"}"#.utf8)))
        },
        Case("duplicate aud in the claims", .duplicateMember) {
            $0.mint(rawClaims: Base64URL.encode(Array(#"{"aud":"\#(TestIssuer.api)","aud":"other"}"#.utf8)))
        },
        Case("duplicate iss in the claims", .duplicateMember) {
            $0.mint(rawClaims: Base64URL.encode(Array(#"{"iss":"a","iss":"b"}"#.utf8)))
        },
        Case("duplicate roles, escaped name", .duplicateMember) {
            $0.mint(rawClaims: Base64URL.encode(Array(#"{"roles":[],"r\u006fles":["Reports.Read.All"]}"#.utf8)))
        },
        Case("invalid UTF-8 in the claims", .badJSON) {
            $0.mint(rawClaims: Base64URL.encode([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]))
        },
        Case("trailing data after the header", .badJSON) {
            $0.mint(rawHeader: Base64URL.encode(Array(#"{"alg":"RS256","kid":"k1"}x"#.utf8)))
        },
        Case("nesting bomb in the claims", .badJSON) {
            $0.mint(
                rawClaims: Base64URL.encode(
                    Array((String(repeating: "[", count: 200) + String(repeating: "]", count: 200)).utf8)
                )
            )
        },
        // Header: algorithm, type, critical, key selection
        Case("alg none", .unsupportedAlgorithm) { $0.mint(header: header { $0["alg"] = "none" }) },
        Case("alg NONE", .unsupportedAlgorithm) { $0.mint(header: header { $0["alg"] = "NONE" }) },
        Case("alg HS256 keyed with the public key (alg confusion)", .unsupportedAlgorithm) { issuer in
            let input =
                TestIssuer.encode(header { $0["alg"] = "HS256" }) + "." + TestIssuer.encode(TestIssuer.baseClaims())
            let secret = SymmetricKey(data: Array(issuer.key.privateKey.publicKey.pemRepresentation.utf8))
            return input + "."
                + Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: secret)))
        },
        Case("alg RS512", .unsupportedAlgorithm) { $0.mint(header: header { $0["alg"] = "RS512" }) },
        Case("alg PS256 when only RS256 is allowed", .unsupportedAlgorithm) {
            $0.mint(header: header { $0["alg"] = "PS256" }, pss: true)
        },
        Case("alg ES256", .unsupportedAlgorithm) { $0.mint(header: header { $0["alg"] = "ES256" }) },
        Case("alg missing", .unsupportedAlgorithm) { $0.mint(header: header { $0["alg"] = nil }) },
        Case("alg not a string", .unsupportedAlgorithm) { $0.mint(header: header { $0["alg"] = 256 }) },
        Case("unknown crit", .unknownCritical) {
            $0.mint(
                header: header {
                    $0["crit"] = .array(["exp"])
                    $0["exp"] = 1
                }
            )
        },
        Case("empty crit", .unknownCritical) { $0.mint(header: header { $0["crit"] = .array([]) }) },
        Case("typ at+jwt under the Entra profile", .unsupportedType) {
            $0.mint(header: header { $0["typ"] = "at+jwt" })
        },
        Case("typ JOSE+JSON", .unsupportedType) { $0.mint(header: header { $0["typ"] = "JOSE+JSON" }) },
        Case("kid missing", .missingKeyID) { $0.mint(header: header { $0["kid"] = nil }) },
        Case("kid empty", .missingKeyID) { $0.mint(header: header { $0["kid"] = "" }) },
        Case("embedded jwk, no kid", .missingKeyID) { issuer in
            let primitives = try! issuer.otherKey.privateKey.publicKey.getKeyPrimitives()
            return issuer.mint(
                header: header {
                    $0["kid"] = nil
                    $0["jwk"] = .object(["kty": "RSA", "n": .string(Base64URL.encode(primitives.modulus)), "e": "AQAB"])
                },
                key: issuer.otherKey
            )
        },
        Case("embedded jwk with an unknown kid", .unknownKey) { issuer in
            let primitives = try! issuer.otherKey.privateKey.publicKey.getKeyPrimitives()
            return issuer.mint(
                header: header {
                    $0["kid"] = "attacker"
                    $0["jwk"] = .object([
                        "kty": "RSA", "kid": "attacker", "n": .string(Base64URL.encode(primitives.modulus)),
                        "e": "AQAB",
                    ])
                },
                key: issuer.otherKey
            )
        },
        Case("jku to an attacker's JWKS", .unknownKey) {
            $0.mint(
                header: header {
                    $0["kid"] = "attacker"
                    $0["jku"] = "https://attacker.example/jwks"
                },
                key: $0.otherKey
            )
        },
        Case("x5u to an attacker's certificate", .unknownKey) {
            $0.mint(
                header: header {
                    $0["kid"] = "attacker"
                    $0["x5u"] = "https://attacker.example/cert.pem"
                },
                key: $0.otherKey
            )
        },
        Case("x5c with the attacker's certificate", .unknownKey) { issuer in
            issuer.mint(
                header: header {
                    $0["kid"] = "attacker"
                    $0["x5c"] = .array([.string(Data(issuer.otherKey.leafDER).base64EncodedString())])
                },
                key: issuer.otherKey
            )
        },
        Case("x5c with the attacker's certificate and a real kid", .badSignature) { issuer in
            issuer.mint(
                header: header { $0["x5c"] = .array([.string(Data(issuer.otherKey.leafDER).base64EncodedString())]) },
                key: issuer.otherKey
            )
        },
        Case("unknown kid (no fallback to a default key)", .unknownKey) {
            $0.mint(header: header { $0["kid"] = "k-unknown" })
        },
        Case("real kid, attacker's signature", .badSignature) { $0.mint(key: $0.otherKey) },
        Case("key pinned to PS256, an algorithm not allowed: the key is not used", .unknownKey) {
            $0.mint(header: header { $0["kid"] = "k-ps" })
        },
        Case("key published for another issuer (key-issuer scoping)", .keyIssuerMismatch) {
            $0.mint(header: header { $0["kid"] = "k-foreign" }, key: $0.foreignIssuerKey)
        },
        // Signature
        Case("one signature byte flipped", .badSignature) { issuer in
            var signature = Base64URL.decode(issuer.mint().split(separator: ".")[2])!
            signature[10] ^= 0x01
            return replaceSegment(issuer.mint(), 2, Base64URL.encode(signature))
        },
        Case("all-zero signature (r = s = 0 class)", .badSignature) {
            replaceSegment($0.mint(), 2, Base64URL.encode([UInt8](repeating: 0, count: 256)))
        },
        Case("one-byte signature", .badSignature) { replaceSegment($0.mint(), 2, "AA") },
        Case("signature of other claims (payload swapped)", .badSignature) { issuer in
            let other = issuer.mint(claims: claims { $0["roles"] = .array(["Everything"]) })
            return replaceSegment(issuer.mint(), 1, String(other.split(separator: ".")[1]))
        },
        Case("truncated signature", .badSignature) { issuer in
            replaceSegment(issuer.mint(), 2, String(issuer.mint().split(separator: ".")[2].prefix(300)))
        },
        Case("PSS signature under an RS256 header", .badSignature) { $0.mint(pss: true) },
        // Issuer and tenant (checked before any key lookup)
        Case("iss missing", .badIssuer) { $0.mint(claims: claims { $0["iss"] = nil }) },
        Case("iss of another host", .badIssuer) {
            $0.mint(claims: claims { $0["iss"] = .string("https://evil.example/\(TestIssuer.tenant)/v2.0") })
        },
        Case("iss with a trailing slash", .badIssuer) {
            $0.mint(claims: claims { $0["iss"] = .string($0["iss"]!.stringValue! + "/") })
        },
        Case("iss in another case", .badIssuer) {
            $0.mint(claims: claims { $0["iss"] = .string($0["iss"]!.stringValue!.uppercased()) })
        },
        Case("iss of the v1 endpoint", .badIssuer) {
            $0.mint(claims: claims { $0["iss"] = .string("https://sts.windows.net/\(TestIssuer.tenant)/") })
        },
        Case("tid missing", .badTenant) { $0.mint(claims: claims { $0["tid"] = nil }) },
        Case("tid not a GUID", .badTenant) {
            $0.mint(
                claims: claims {
                    $0["tid"] = "contoso.example"
                    $0["iss"] = "https://login.example.test/contoso.example/v2.0"
                }
            )
        },
        Case("tid a GUID without dashes", .badTenant) {
            $0.mint(claims: claims { $0["tid"] = "72f988bf86f141af91ab2d7cd011db47" })
        },
        Case("another tenant (cross-tenant acceptance)", .tenantNotAllowed) {
            $0.mint(
                claims: claims {
                    $0["tid"] = .string(TestIssuer.otherTenant)
                    $0["iss"] = .string("https://login.example.test/\(TestIssuer.otherTenant)/v2.0")
                }
            )
        },
        Case("iss tenant differs from tid", .badIssuer) {
            $0.mint(claims: claims { $0["tid"] = .string(TestIssuer.otherTenant) })
        },
        // Audience
        Case("aud missing", .badAudience) { $0.mint(claims: claims { $0["aud"] = nil }) },
        Case("aud of another API", .badAudience) {
            $0.mint(claims: claims { $0["aud"] = "22222222-0000-0000-0000-000000000000" })
        },
        Case("aud is Graph", .badAudience) { $0.mint(claims: claims { $0["aud"] = "https://graph.microsoft.com" }) },
        Case("aud is a number", .badAudience) { $0.mint(claims: claims { $0["aud"] = 42 }) },
        Case("aud array without this API", .badAudience) {
            $0.mint(claims: claims { $0["aud"] = .array(["a", "b"]) })
        },
        Case("aud differs in case", .badAudience) {
            $0.mint(claims: claims { $0["aud"] = .string(TestIssuer.api.uppercased()) })
        },
        // Lifetime
        Case("exp missing", .badLifetime) { $0.mint(claims: claims { $0["exp"] = nil }) },
        Case("exp a string", .badLifetime) { $0.mint(claims: claims { $0["exp"] = "9999999999" }) },
        Case("expired beyond the skew", .expired) {
            $0.mint(
                claims: claims {
                    $0["exp"] = .number(now.timeIntervalSince1970 - 301)
                    $0["nbf"] = .number(now.timeIntervalSince1970 - 4000)
                    $0["iat"] = .number(now.timeIntervalSince1970 - 4000)
                }
            )
        },
        Case("nbf in the future beyond the skew", .notYetValid) {
            $0.mint(claims: claims { $0["nbf"] = .number(now.timeIntervalSince1970 + 400) })
        },
        Case("nbf after exp", .badLifetime) {
            $0.mint(claims: claims { $0["nbf"] = .number(now.timeIntervalSince1970 + 7200) })
        },
        Case("iat in the future beyond the skew", .notYetValid) {
            $0.mint(claims: claims { $0["iat"] = .number(now.timeIntervalSince1970 + 400) })
        },
        Case("nbf a string", .badLifetime) { $0.mint(claims: claims { $0["nbf"] = "0" }) },
        // Profile and app-only
        Case("ver missing", .badProfile) { $0.mint(claims: claims { $0["ver"] = nil }) },
        Case("ver 3.0", .badProfile) { $0.mint(claims: claims { $0["ver"] = "3.0" }) },
        Case("scp present: a delegated (user) token", .notAppOnly) {
            $0.mint(claims: claims { $0["scp"] = "Reports.Read" })
        },
        Case("idtyp user", .notAppOnly) { $0.mint(claims: claims { $0["idtyp"] = "user" }) },
        Case("no idtyp and oid differs from sub", .notAppOnly) {
            $0.mint(
                claims: claims {
                    $0["idtyp"] = nil
                    $0["sub"] = "someone-else"
                }
            )
        },
        Case("no idtyp and no oid", .notAppOnly) {
            $0.mint(
                claims: claims {
                    $0["idtyp"] = nil
                    $0["oid"] = nil
                }
            )
        },
        // Not an access token (Entra requires a caller and scp or roles, and refuses nonce, whatever appOnly says)
        Case("ID token: nonce, no azp, no scp or roles, sub not oid", .notAccessToken) {
            $0.mint(
                claims: claims {
                    $0["nonce"] = "n-0S6_WzA2Mj"
                    $0["azp"] = nil
                    $0["azpacr"] = nil
                    $0["roles"] = nil
                    $0["idtyp"] = nil
                    $0["sub"] = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"
                    $0["name"] = "Ada Lovelace"
                }
            )
        },
        Case("access token carrying nonce", .notAccessToken) { $0.mint(claims: claims { $0["nonce"] = "abc" }) },
        Case("nonce null", .notAccessToken) { $0.mint(claims: claims { $0["nonce"] = .null }) },
        Case("roles missing (idtyp app: an access token granted no role)", .missingRole) {
            $0.mint(claims: claims { $0["roles"] = nil })
        },
        Case("roles missing, no scp, no idtyp", .notAccessToken) {
            $0.mint(
                claims: claims {
                    $0["roles"] = nil
                    $0["idtyp"] = nil
                }
            )
        },
        Case("roles a string, not an array (and no scp)", .missingRole) {
            $0.mint(claims: claims { $0["roles"] = "Reports.Read.All" })
        },
        Case("caller missing", .notAccessToken) { $0.mint(claims: claims { $0["azp"] = nil }) },
        Case("v1 token without appid", .notAccessToken) {
            $0.mint(
                claims: claims {
                    $0["ver"] = "1.0"
                    $0["azp"] = nil
                    $0["azpacr"] = nil
                    $0["appidacr"] = "2"
                }
            )
        },
        // Authorization
        Case("roles an empty array", .missingRole) { $0.mint(claims: claims { $0["roles"] = .array([]) }) },
        Case("another role", .missingRole) { $0.mint(claims: claims { $0["roles"] = .array(["Reports.Write.All"]) }) },
        Case("role in another case", .missingRole) {
            $0.mint(claims: claims { $0["roles"] = .array(["reports.read.all"]) })
        },
        Case("roles an array of non-strings", .missingRole) { $0.mint(claims: claims { $0["roles"] = .array([1]) }) },
        Case("nOAuth: admin email/upn but no role", .missingRole) {
            $0.mint(
                claims: claims {
                    $0["roles"] = .array([])
                    $0["email"] = "admin@contoso.example"
                    $0["upn"] = "admin@contoso.example"
                    $0["preferred_username"] = "admin@contoso.example"
                }
            )
        },
        Case("caller not on the allow-list", .callerNotAllowed) {
            $0.mint(claims: claims { $0["azp"] = "55555555-0000-0000-0000-000000000000" })
        },
        Case("secret-authenticated caller where a certificate is required", .weakClientAuthentication) {
            $0.mint(claims: claims { $0["azpacr"] = "1" })
        },
        Case("azpacr missing where a certificate is required", .weakClientAuthentication) {
            $0.mint(claims: claims { $0["azpacr"] = nil })
        },
        Case("v1 token, appid not allowed", .callerNotAllowed) {
            $0.mint(
                claims: claims {
                    $0["ver"] = "1.0"
                    $0["azp"] = nil
                    $0["azpacr"] = nil
                    $0["appid"] = "66666666-0000-0000-0000-000000000000"
                    $0["appidacr"] = "2"
                }
            )
        },
        Case("v1 token, public client (appidacr 0)", .weakClientAuthentication) {
            $0.mint(
                claims: claims {
                    $0["ver"] = "1.0"
                    $0["azp"] = nil
                    $0["azpacr"] = nil
                    $0["appid"] = .string(TestIssuer.daemon)
                    $0["appidacr"] = "0"
                }
            )
        },
    ]
}
