import ServiceLifecycle

extension Emulator: Service {
    /// Serves until graceful shutdown or cancellation, then stops the server and returns once it has stopped — how a
    /// `ServiceGroup` owns an emulator (`tessera emulator` runs one with SIGTERM and SIGINT as graceful-shutdown
    /// signals). The emulator already listens once ``start(_:options:logger:)`` returns; in-process users (tests,
    /// `tessera demo`) may instead call ``stop()`` when done.
    ///
    /// - Throws: the server's error if it failed; `CancellationError` if cancelled (not on graceful shutdown).
    public func run() async throws {
        try await withGracefulShutdownHandler {
            do {
                try await wait()
            } catch is CancellationError where Task.isShuttingDownGracefully {
                return  // stopped by the graceful shutdown below: a clean end
            }
        } onGracefulShutdown: {
            self.stopServing()
        }
    }
}
