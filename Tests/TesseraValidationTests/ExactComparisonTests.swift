import Foundation
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

/// RFC 7519 compares claim values code point by code point. Swift's `String ==` (and `Set<String>` lookups) use
/// Unicode canonical equivalence: `"\u{212A}"` (the Kelvin sign) == `"K"`, `"\u{E9}"` == `"e\u{301}"`. A token whose
/// issuer, audience, caller, role or scope differs from the policy's only by such a code point is not the same value.
@Suite("Claim values compared by code points, not canonical equivalence")
struct ExactComparisonTests {
    static let kelvin = "\u{212A}"
    static let decomposed = "e\u{301}"

    static func issuer(_ k: String = "K", _ e: String = "\u{E9}") -> String {
        "https://issuer.example/\(k)elvin/caf\(e)"
    }
    static func audience(_ k: String = "K", _ e: String = "\u{E9}") -> String { "api://\(k)elvin-caf\(e)" }
    static func caller(_ k: String = "K", _ e: String = "\u{E9}") -> String { "\(k)elvin-caf\(e)-daemon" }
    static func role(_ k: String = "K", _ e: String = "\u{E9}") -> String { "\(k)elvin.Caf\(e).Read" }
    static let template = "https://issuer.example/{tenantid}/\u{E9}t\u{E9}/Kelvin"
    static func templateIssuer(_ tenant: String, _ e: String = "\u{E9}") -> String {
        "https://issuer.example/\(tenant)/\(e)t\(e)/Kelvin"
    }

    /// Entra (or RFC 9068) with an exact issuer, one audience, one allowed caller and one required role.
    static func policy(_ profile: ValidationPolicy.Profile = .entra) -> ValidationPolicy {
        var policy = ValidationPolicy(issuer: .exact(issuer()), audiences: [audience()])
        policy.profile = profile
        policy.allowedCallers = [caller()]
        policy.roles = .allOf([role()])
        return policy
    }

    /// Multi-tenant over ``template``, one allowed tenant, no caller or role requirement.
    static func templatePolicy() -> ValidationPolicy {
        ValidationPolicy(
            issuer: .multiTenant(template: template, allowedTenants: [TestIssuer.tenant]),
            audiences: [audience()]
        )
    }

    static func entra(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> String {
        TestIssuer.shared.mint(
            claims: HostileTokens.claims { claims in
                claims["iss"] = .string(issuer())
                claims["aud"] = .string(audience())
                claims["azp"] = .string(caller())
                claims["roles"] = .array([.string(role())])
                change(&claims)
            }
        )
    }

    static func rfc9068(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> String {
        let now = Double(Int(Date().timeIntervalSince1970))
        var claims: [String: JSONValue] = [
            "iss": .string(issuer()), "aud": .string(audience()), "iat": .number(now - 60),
            "exp": .number(now + 3600), "sub": .string(caller()), "client_id": .string(caller()), "jti": "j-1",
            "scope": .string("openid " + role()),
        ]
        change(&claims)
        return TestIssuer.shared.mint(header: HostileTokens.header { $0["typ"] = "at+jwt" }, claims: claims)
    }

    static func templated(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> String {
        entra { claims in
            claims["iss"] = .string(templateIssuer(TestIssuer.tenant))
            claims["roles"] = .array(["Any.Role"])
            change(&claims)
        }
    }

    /// One claim changed by a canonically equivalent code point, under one policy and key set.
    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let reason: TokenRejection.Reason
        let policy: @Sendable () -> ValidationPolicy
        let keys: @Sendable () throws -> SigningKeySet
        let token: @Sendable () -> String

        init(
            _ name: String,
            _ reason: TokenRejection.Reason,
            policy: @escaping @Sendable () -> ValidationPolicy = { ExactComparisonTests.policy() },
            keys: @escaping @Sendable () throws -> SigningKeySet = { try TestJWKS.unscoped() },
            _ token: @escaping @Sendable () -> String
        ) {
            (testDescription, self.reason, self.policy, self.keys, self.token) = (name, reason, policy, keys, token)
        }
    }

    static let cases: [Case] = [
        Case("iss with the Kelvin sign for K", .badIssuer) { entra { $0["iss"] = .string(issuer(kelvin)) } },
        Case("iss with a decomposed é", .badIssuer) { entra { $0["iss"] = .string(issuer("K", decomposed)) } },
        Case("iss of the tenant template with a decomposed é", .badIssuer, policy: { templatePolicy() }) {
            templated { $0["iss"] = .string(templateIssuer(TestIssuer.tenant, decomposed)) }
        },
        Case("tid with a combining mark (36 characters, 38 bytes)", .badTenant, policy: { templatePolicy() }) {
            templated { claims in
                let tid = String(TestIssuer.tenant.dropLast()) + decomposed
                claims["tid"] = .string(tid)
                claims["iss"] = .string(templateIssuer(tid))
            }
        },
        Case("aud with the Kelvin sign for K", .badAudience) { entra { $0["aud"] = .string(audience(kelvin)) } },
        Case("aud array with a decomposed é", .badAudience) {
            entra { $0["aud"] = .array(["other", .string(audience("K", decomposed))]) }
        },
        Case("azp with the Kelvin sign for K", .callerNotAllowed) { entra { $0["azp"] = .string(caller(kelvin)) } },
        Case("v1 appid with a decomposed é", .callerNotAllowed) {
            entra { claims in
                claims["ver"] = "1.0"
                claims["azp"] = nil
                claims["azpacr"] = nil
                claims["appid"] = .string(caller("K", decomposed))
                claims["appidacr"] = "2"
            }
        },
        Case("role with the Kelvin sign for K", .missingRole) {
            entra { $0["roles"] = .array([.string(role(kelvin))]) }
        },
        Case("role with a decomposed é", .missingRole) {
            entra { $0["roles"] = .array([.string(role("K", decomposed))]) }
        },
        Case(
            "any-of roles, the role with the Kelvin sign",
            .missingRole,
            policy: {
                var anyOf = ExactComparisonTests.policy()
                anyOf.roles = .anyOf([role(), "Other.Role"])
                return anyOf
            }
        ) { entra { $0["roles"] = .array([.string(role(kelvin))]) } },
        Case("RFC 9068 client_id with the Kelvin sign", .callerNotAllowed, policy: { policy(.rfc9068) }) {
            rfc9068 { claims in
                claims["client_id"] = .string(caller(kelvin))
                claims["sub"] = .string(caller(kelvin))
            }
        },
        Case("RFC 9068 sub differing from client_id by a decomposed é", .notAppOnly, policy: { policy(.rfc9068) }) {
            rfc9068 { $0["sub"] = .string(caller("K", decomposed)) }
        },
        Case("RFC 9068 scope with a decomposed é", .missingRole, policy: { policy(.rfc9068) }) {
            rfc9068 { $0["scope"] = .string("openid " + role("K", decomposed)) }
        },
        Case(
            "key published for the issuer spelled with the Kelvin sign",
            .keyIssuerMismatch,
            keys: {
                try SigningKeySet(jwks: TestJWKS.document([TestJWKS.entry(members: ["issuer": issuer(kelvin)])]))
            }
        ) { entra() },
    ]

    @Test("the variants are == under Swift's String comparison (the premise)")
    func premise() {
        #expect(Self.issuer(Self.kelvin) == Self.issuer())
        #expect(Self.role("K", Self.decomposed) == Self.role())
        #expect(Set([Self.caller()]).contains(Self.caller(Self.kelvin)))
        #expect(Self.issuer(Self.kelvin).utf8.count != Self.issuer().utf8.count)
    }

    @Test("the exact values pass (entra, v1, RFC 9068, tenant template)")
    func baselines() async throws {
        let keys = try TestJWKS.unscoped()
        _ = try await TokenValidator(policy: Self.policy(), keys: keys).validate(Self.entra())
        _ = try await TokenValidator(policy: Self.policy(.rfc9068), keys: keys).validate(Self.rfc9068())
        _ = try await TokenValidator(policy: Self.templatePolicy(), keys: keys).validate(Self.templated())
        let scoped = try SigningKeySet(
            jwks: TestJWKS.document([TestJWKS.entry(members: ["issuer": Self.issuer()])])
        )
        let principal = try await TokenValidator(policy: Self.policy(), keys: scoped).validate(Self.entra())
        #expect(principal.hasRole(Self.role()))
        #expect(!principal.hasRole(Self.role(Self.kelvin)))
    }

    @Test("a claim differing by a canonically equivalent code point is refused", arguments: cases)
    func refused(_ testCase: Case) async throws {
        let validator = TokenValidator(policy: testCase.policy(), keys: try testCase.keys())
        await expectRejection(testCase.reason) { try await validator.validate(testCase.token()) }
    }
}
