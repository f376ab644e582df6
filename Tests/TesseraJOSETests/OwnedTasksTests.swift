import Synchronization
import Testing

@testable import TesseraJOSE

@Suite("OwnedTasks: the owner of the one kind of unstructured task library code starts", .timeLimit(.minutes(1)))
struct OwnedTasksTests {
    @Test("shutdown() cancels a running task and returns only after it has ended")
    func shutdownCancelsAndAwaits() async {
        let tasks = OwnedTasks()
        let ended = Mutex<(cancelled: Bool, done: Bool)>((false, false))
        let started = AsyncStream<Void>.makeStream()
        #expect(
            tasks.start {
                started.continuation.yield()
                try? await Task.sleep(for: .seconds(30))
                let cancelled = Task.isCancelled
                // Ends a while after the cancellation (a detached sleep is not cancelled): a shutdown() that did not
                // await would return before this.
                await Task.detached { try? await Task.sleep(for: .milliseconds(200)) }.value
                ended.withLock { $0 = (cancelled, true) }
            }
        )
        for await _ in started.stream { break }
        #expect(tasks.count == 1)
        await tasks.shutdown()
        #expect(ended.withLock { $0.done }, "shutdown() returned before the task ended")
        #expect(ended.withLock { $0.cancelled })
        #expect(tasks.count == 0)
        #expect(tasks.isClosed)
    }

    @Test("after shutdown() nothing starts: start is false and the operation never runs")
    func closedSetStartsNothing() async throws {
        let tasks = OwnedTasks()
        await tasks.shutdown()
        let ran = Mutex(false)
        #expect(!tasks.start { ran.withLock { $0 = true } })
        #expect(tasks.startTask { ran.withLock { $0 = true } } == nil)
        try await Task.sleep(for: .milliseconds(50))
        #expect(!ran.withLock { $0 })
    }

    @Test("a task that finishes leaves the set; cancelAll() cancels without closing it")
    func finishedTasksLeave() async throws {
        let tasks = OwnedTasks()
        let finished = try #require(tasks.startTask {})
        await finished.value
        #expect(tasks.count == 0)
        let sleeper = try #require(tasks.startTask { try? await Task.sleep(for: .seconds(30)) })
        tasks.cancelAll()
        await sleeper.value
        #expect(sleeper.isCancelled)
        #expect(!tasks.isClosed)
        #expect(tasks.start {})
        await tasks.shutdown()
    }
}
