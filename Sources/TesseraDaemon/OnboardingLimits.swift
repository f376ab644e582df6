import Foundation
import Synchronization
@_spi(TesseraInternal) import TesseraJOSE

/// Onboarding's guards against a flood: a token bucket per client address and one for everybody (each request to
/// `/onboarding/start` or `/onboarding/callback` takes a token), and the tenants whose consent check failed recently
/// (not asked again — no token request — for a minute: short, because anyone with a state can have a tenant checked,
/// and the real administrator may be right behind).
final class OnboardingLimits: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Date
    }

    struct State {
        var perAddress = LRUMap<String, Bucket>(capacity: 4096)
        var overall: Bucket
        var failedTenants = LRUMap<String, Date>(capacity: 4096)
    }

    /// Requests one client address may make in a burst, and per minute after it.
    let perAddressBurst: Double
    /// Requests all clients together may make in a burst, and per minute after it.
    let overallBurst: Double
    /// How long a tenant whose consent could not be confirmed is refused without a token request.
    let failedTenantPause: TimeInterval
    private let state: Mutex<State>

    init(
        perAddressBurst: Double = 20,
        overallBurst: Double = 120,
        failedTenantPause: TimeInterval = 60,
        now: Date = Date()
    ) {
        self.perAddressBurst = perAddressBurst
        self.overallBurst = overallBurst
        self.failedTenantPause = failedTenantPause
        self.state = Mutex(State(overall: Bucket(tokens: overallBurst, updated: now)))
    }

    /// Takes a token for `address` and one from the overall bucket; `false` (nothing taken) when either is empty.
    func admit(_ address: String, now: Date = Date()) -> Bool {
        state.withLock { state in
            var own = state.perAddress.get(address) ?? Bucket(tokens: perAddressBurst, updated: now)
            Self.refill(&own, burst: perAddressBurst, now: now)
            Self.refill(&state.overall, burst: overallBurst, now: now)
            guard own.tokens >= 1, state.overall.tokens >= 1 else {
                _ = state.perAddress.set(address, own)
                return false
            }
            own.tokens -= 1
            state.overall.tokens -= 1
            _ = state.perAddress.set(address, own)
            return true
        }
    }

    /// Whether `tenant`'s consent check failed less than ``failedTenantPause`` ago.
    func recentlyFailed(_ tenant: String, now: Date = Date()) -> Bool {
        state.withLock { state in
            guard let until = state.failedTenants.peek(tenant.lowercased()) else { return false }
            return until > now
        }
    }

    /// Remembers that `tenant`'s consent could not be confirmed.
    func failed(_ tenant: String, now: Date = Date()) {
        state.withLock { _ = $0.failedTenants.set(tenant.lowercased(), now.addingTimeInterval(failedTenantPause)) }
    }

    /// A bucket refills at its burst size per minute, up to the burst.
    private static func refill(_ bucket: inout Bucket, burst: Double, now: Date) {
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(burst, bucket.tokens + elapsed * burst / 60)
        bucket.updated = now
    }
}
