import Synchronization

/// The tasks one object starts outside a caller's task (a shared fetch several callers wait on), registered so that the
/// object's `shutdown()` cancels and awaits every one: none outlives its owner.
package final class OwnedTasks: Sendable {
    struct State {
        var tasks: [UInt64: Task<Void, Never>] = [:]
        var nextID: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// An empty set, open for tasks.
    package init() {}

    /// Tasks running now.
    package var count: Int { state.withLock { $0.tasks.count } }

    /// Whether ``shutdown()`` was called: no task starts any more.
    package var isClosed: Bool { state.withLock { $0.closed } }

    /// Starts `operation` as a task owned here; `false` (and nothing runs) once ``shutdown()`` was called.
    @discardableResult
    package func start(_ operation: @escaping @Sendable () async -> Void) -> Bool {
        startTask(operation) != nil
    }

    /// Starts `operation` as a task owned here and returns it (to cancel it early); `nil` (and nothing runs) once
    /// ``shutdown()`` was called.
    @discardableResult
    package func startTask(_ operation: @escaping @Sendable () async -> Void) -> Task<Void, Never>? {
        state.withLock { state in
            guard !state.closed else { return nil }
            let id = state.nextID
            state.nextID += 1
            // The one unstructured task library code starts: this set is its owner (``shutdown()`` cancels and awaits
            // it; ``cancelAll()`` cancels it). The task removes itself when done; it cannot finish before it is
            // registered (it needs this lock).
            state.tasks[id] = Task {
                await operation()
                self.state.withLock { _ = $0.tasks.removeValue(forKey: id) }
            }
            return state.tasks[id]
        }
    }

    /// Cancels the running tasks without waiting (a cancellation handler's way to stop them).
    package func cancelAll() {
        for task in state.withLock({ Array($0.tasks.values) }) { task.cancel() }
    }

    /// Closes the set (no task starts after this), cancels the running tasks and waits until each has ended.
    package func shutdown() async {
        let running = state.withLock { state in
            state.closed = true
            return Array(state.tasks.values)
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }
}
