import Synchronization

/// One result that any number of callers wait for — the single flight of a cache miss. A waiter whose task is cancelled
/// leaves at once with `CancellationError`; the work producing the result goes on for the others.
package final class SharedResult<Value: Sendable>: Sendable {
    enum State {
        case pending(waiters: [UInt64: CheckedContinuation<Value, any Error>], cancelled: Set<UInt64>)
        case done(Result<Value, any Error>)
    }

    private let state = Mutex(State.pending(waiters: [:], cancelled: []))
    private let nextWaiter = Atomic<UInt64>(0)

    /// A result not yet produced.
    package init() {}

    /// Callers waiting now.
    package var waiting: Int {
        state.withLock { state in
            if case .pending(let waiters, _) = state { return waiters.count }
            return 0
        }
    }

    /// The result once it is produced; `CancellationError` at once when the calling task is cancelled.
    package func value() async throws -> Value {
        let id = nextWaiter.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let ready: Result<Value, any Error>? = state.withLock { state in
                    switch state {
                    case .done(let result): return result
                    case .pending(var waiters, var cancelled):
                        if cancelled.remove(id) != nil {
                            state = .pending(waiters: waiters, cancelled: cancelled)
                            return .failure(CancellationError())
                        }
                        waiters[id] = continuation
                        state = .pending(waiters: waiters, cancelled: cancelled)
                        return nil
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let leaving: CheckedContinuation<Value, any Error>? = state.withLock { state in
                guard case .pending(var waiters, var cancelled) = state else { return nil }
                let continuation = waiters.removeValue(forKey: id)
                // Cancelled before it was registered: the registration sees this and leaves at once.
                if continuation == nil { cancelled.insert(id) }
                state = .pending(waiters: waiters, cancelled: cancelled)
                return continuation
            }
            leaving?.resume(throwing: CancellationError())
        }
    }

    /// Hands `result` to every waiter, now and later; only the first call counts.
    package func finish(_ result: Result<Value, any Error>) {
        let waiters: [CheckedContinuation<Value, any Error>] = state.withLock { state in
            guard case .pending(let waiters, _) = state else { return [] }
            state = .done(result)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result) }
    }
}

/// `operation`'s result, or `timedOut()` thrown once `sleep(timeout)` returns first (the operation is then cancelled
/// and awaited). `sleep` is injected so that tests decide when the time is up. The bound holds only for an operation that
/// honours cancellation (AsyncHTTPClient does; `TokenSource` and `ClientCredential` implementations must).
package func withDeadline<Value: Sendable>(
    _ timeout: Duration,
    sleep: @escaping @Sendable (Duration) async throws -> Void,
    timedOut: @escaping @Sendable () -> any Error,
    _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await sleep(timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw timedOut() }
        return value
    }
}
