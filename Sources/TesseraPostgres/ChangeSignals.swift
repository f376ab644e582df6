import Synchronization
import TesseraJOSE

/// Wakes the replicas' waiters: one signal per awaited entry name, fired by its notification (or by every reconnect).
final class ChangeSignals: Sendable {
    private let signals = Mutex<[String: SharedResult<Void>]>([:])

    /// The signal the next change of `name` fires.
    func signal(for name: String) -> SharedResult<Void> {
        signals.withLock { signals in
            if let signal = signals[name] { return signal }
            let signal = SharedResult<Void>()
            signals[name] = signal
            return signal
        }
    }

    /// Wakes the waiters of `name`.
    func fire(_ name: String) {
        signals.withLock { $0.removeValue(forKey: name) }?.finish(.success(()))
    }

    /// Wakes every waiter (the `LISTEN` connection came back or went away: notifications may have been missed).
    func fireAll() {
        for signal in signals.withLock({ signals in
            defer { signals.removeAll() }
            return Array(signals.values)
        }) { signal.finish(.success(())) }
    }
}
