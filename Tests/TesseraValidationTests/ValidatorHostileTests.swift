import Crypto
import Foundation
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing
import _CryptoExtras

/// Every bad input of BRIEF §5 and the incident classes it names, as named cases (table-driven).
@Suite("Validator: hostile tokens")
struct ValidatorHostileTests {
    typealias Case = HostileTokens.Case
    static let cases = HostileTokens.cases

    @Test("rejects with the right reason", arguments: cases)
    func rejects(_ testCase: Case) async throws {
        let validator = try HostileTokens.validator()
        let token = testCase.token(TestIssuer.shared)
        do {
            let principal = try await validator.validate(token)
            Issue.record("accepted: \(principal.roles)")
        } catch {
            #expect(error.reason == testCase.reason, "\(error)")
            #expect(
                !error.explanation.contains(token.prefix(20)) || token.count < 20,
                "no token material in the explanation"
            )
        }
    }

    @Test("at least 80 named hostile cases")
    func count() { #expect(Self.cases.count >= 80) }

    @Test("the valid baseline passes, with the principal")
    func baseline() async throws {
        let principal = try await HostileTokens.validator().validate(TestIssuer.shared.mint())
        #expect(principal.tenant == TestIssuer.tenant)
        #expect(principal.callerApplication == TestIssuer.daemon)
        #expect(principal.roles == ["Reports.Read.All"])
        #expect(principal.objectID == "5e6f7a8b-0000-4000-8000-000000000001")
    }

    @Test("valid variants: aud array with this API, v1 shape, any-of roles, skew tolerance")
    func validVariants() async throws {
        let issuer = TestIssuer.shared
        let validator = try HostileTokens.validator()
        _ = try await validator.validate(
            issuer.mint(claims: HostileTokens.claims { $0["aud"] = .array(["other", .string(TestIssuer.api)]) })
        )
        _ = try await validator.validate(
            issuer.mint(
                claims: HostileTokens.claims {
                    $0["ver"] = "1.0"
                    $0["azp"] = nil
                    $0["azpacr"] = nil
                    $0["appid"] = .string(TestIssuer.daemon)
                    $0["appidacr"] = "2"
                }
            )
        )
        _ = try await validator.validate(
            issuer.mint(
                claims: HostileTokens.claims {
                    $0["exp"] = .number(HostileTokens.now.timeIntervalSince1970 - 200)
                    $0["nbf"] = .number(HostileTokens.now.timeIntervalSince1970 - 4000)
                    $0["iat"] = .number(HostileTokens.now.timeIntervalSince1970 - 4000)
                }
            )
        )
        var policy = HostileTokens.policy()
        policy.roles = .anyOf(["Reports.Write.All", "Reports.Read.All"])
        _ = try await TokenValidator(policy: policy, keys: try SigningKeySet(jwks: issuer.jwks())).validate(
            issuer.mint()
        )
    }

    @Test("jwt-kit alg poisoning: a forged PS256 token with a real kid does not break later RS256 tokens")
    func algPoisoning() async throws {
        var policy = HostileTokens.policy()
        policy.algorithms = [.rs256, .ps256]
        let issuer = TestIssuer.shared
        let validator = TokenValidator(
            policy: policy,
            keys: try SigningKeySet(jwks: issuer.jwks(), algorithms: [.rs256, .ps256])
        )
        let forged = HostileTokens.replaceSegment(
            issuer.mint(header: HostileTokens.header { $0["alg"] = "PS256" }),
            2,
            Base64URL.encode([UInt8](repeating: 7, count: 256))
        )
        await #expect(throws: TokenRejection.self) { try await validator.validate(forged) }
        let valid = try await validator.validate(issuer.mint())
        #expect(valid.roles == ["Reports.Read.All"])
        let pss = try await validator.validate(
            issuer.mint(header: HostileTokens.header { $0["alg"] = "PS256" }, pss: true)
        )
        #expect(pss.tenant == TestIssuer.tenant)
        // The key fixes the algorithm: "k-ps" is published with alg PS256, so an RS256 token naming it is refused.
        do {
            _ = try await validator.validate(issuer.mint(header: HostileTokens.header { $0["kid"] = "k-ps" }))
            Issue.record("accepted")
        } catch {
            #expect(error.reason == .keyAlgorithmMismatch)
        }
    }
}
