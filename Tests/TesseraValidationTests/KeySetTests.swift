import Foundation
import Synchronization
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

@Suite("Signing keys: refresh rules")
struct KeySetTests {
    final class Counter: Sendable {
        let calls = Mutex(0)
        let failing = Mutex(false)
    }

    static func validator(_ counter: Counter, now: @escaping @Sendable () -> Date = { Date() }) -> TokenValidator {
        var policy = HostileTokens.policy()
        policy.now = now
        let keys = SigningKeySet { () async throws -> [UInt8] in
            counter.calls.withLock { $0 += 1 }
            if counter.failing.withLock({ $0 }) { throw TokenRejection.init(reason: .keysUnavailable) }
            return TestIssuer.shared.jwks()
        }
        return TokenValidator(policy: policy, keys: keys)
    }

    @Test("an unknown kid refreshes at most once per 5 minutes; then it is rejected without fetching")
    func unknownKidRateLimit() async throws {
        let counter = Counter()
        let clock = Mutex(Date())
        let validator = Self.validator(counter) { clock.withLock { $0 } }
        _ = try await validator.validate(TestIssuer.shared.mint())
        #expect(counter.calls.withLock { $0 } == 1)
        let unknown = TestIssuer.shared.mint(header: HostileTokens.header { $0["kid"] = "rotated-in" })
        await expectRejection(.unknownKey) { try await validator.validate(unknown) }
        #expect(counter.calls.withLock { $0 } == 1, "right after a fetch, an unknown kid does not fetch again")
        clock.withLock { $0 = $0.addingTimeInterval(6) }
        for _ in 0..<20 { await expectRejection(.unknownKey) { try await validator.validate(unknown) } }
        #expect(counter.calls.withLock { $0 } == 2, "one refresh for the unknown kid, not twenty")
        clock.withLock { $0 = $0.addingTimeInterval(301) }
        await expectRejection(.unknownKey) { try await validator.validate(unknown) }
        #expect(counter.calls.withLock { $0 } == 3, "another refresh after 5 minutes")
    }

    @Test("tokens of random tenants or issuers never cause a key fetch (no fetch amplifier)")
    func noFetchBeforeIssuerCheck() async throws {
        let counter = Counter()
        let validator = Self.validator(counter)
        for index in 0..<10 {
            let tenant = String(format: "%08d-0000-4000-8000-000000000000", index)
            let token = TestIssuer.shared.mint(
                header: HostileTokens.header { $0["kid"] = .string("random-\(index)") },
                claims: HostileTokens.claims {
                    $0["tid"] = .string(tenant)
                    $0["iss"] = .string("https://login.example.test/\(tenant)/v2.0")
                }
            )
            await expectRejection(.tenantNotAllowed) { try await validator.validate(token) }
        }
        #expect(counter.calls.withLock { $0 } == 0)
    }

    @Test("last-known-good keys survive a JWKS outage when they go stale")
    func lastKnownGood() async throws {
        let counter = Counter()
        let clock = Mutex(Date())
        let validator = Self.validator(counter) { clock.withLock { $0 } }
        _ = try await validator.validate(TestIssuer.shared.mint())
        counter.failing.withLock { $0 = true }
        clock.withLock { $0 = $0.addingTimeInterval(25 * 3600) }
        var policy = validator.policy
        policy.now = { clock.withLock { $0 } }
        let later = TestIssuer.shared.mint(
            claims: HostileTokens.claims { claims in
                let now = clock.withLock { $0 }.timeIntervalSince1970
                claims["iat"] = .number(now)
                claims["nbf"] = .number(now)
                claims["exp"] = .number(now + 3600)
            }
        )
        let principal = try await validator.validate(later)
        #expect(principal.tenant == TestIssuer.tenant)
        #expect(counter.calls.withLock { $0 } == 2, "it tried to refresh the stale set, and kept the old keys")
    }
}
