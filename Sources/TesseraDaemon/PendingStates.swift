import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Tessera
import TesseraJOSE

/// `state` values handed out by `/onboarding/start`, each with the tenant asked for there: single use, valid 15
/// minutes, at most 1,000 pending.
final class PendingStates: Sendable {
    struct Pending {
        let tenant: String
        let expiry: Date
    }

    private let states = Mutex<[String: Pending]>([:])

    func issue(tenant: String, now: Date = Date()) -> String {
        let state = UUID().uuidString.lowercased()
        states.withLock { states in
            states = states.filter { $0.value.expiry > now }
            if states.count >= 1000, let oldest = states.min(by: { $0.value.expiry < $1.value.expiry })?.key {
                states[oldest] = nil
            }
            states[state] = Pending(tenant: tenant, expiry: now.addingTimeInterval(900))
        }
        return state
    }

    /// Whether `state` was issued, is unused and has not expired.
    func isPending(_ state: String, now: Date = Date()) -> Bool {
        states.withLock { $0[state].map { $0.expiry > now } ?? false }
    }

    /// The tenant `state` was issued for, once; `nil` when unknown, used or expired.
    func consume(_ state: String, now: Date = Date()) -> String? {
        states.withLock { states in
            guard let pending = states.removeValue(forKey: state), pending.expiry > now else { return nil }
            return pending.tenant
        }
    }
}
