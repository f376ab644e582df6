import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Tessera
import TesseraJOSE

/// `state` values handed out by `/onboarding/start`: single use, valid 15 minutes, at most 1,000 pending.
final class PendingStates: Sendable {
    private let states = Mutex<[String: Date]>([:])

    func issue(now: Date = Date()) -> String {
        let state = UUID().uuidString.lowercased()
        states.withLock { states in
            states = states.filter { $0.value > now }
            if states.count >= 1000, let oldest = states.min(by: { $0.value < $1.value })?.key { states[oldest] = nil }
            states[state] = now.addingTimeInterval(900)
        }
        return state
    }

    func consume(_ state: String, now: Date = Date()) -> Bool {
        states.withLock { states in
            guard let expiry = states.removeValue(forKey: state) else { return false }
            return expiry > now
        }
    }
}
