import Foundation
import Logging
import ServiceLifecycle

/// Tells systemd the daemon's state: `READY=1` once started, `WATCHDOG=1` at half of `WATCHDOG_USEC`, and
/// `STOPPING=1` as soon as graceful shutdown begins. Place it last in the `ServiceGroup` so it hears the shutdown
/// first.
public struct SystemdService: Service {
    let notifier: SystemdNotifier
    let logger: Logger

    /// A service notifying through `notifier` (default: one configured from the process environment).
    public init(notifier: SystemdNotifier = SystemdNotifier(), logger: Logger) {
        self.notifier = notifier
        self.logger = logger
    }

    /// Sends `READY=1`, then `WATCHDOG=1` every ``SystemdNotifier/watchdogInterval`` (when the watchdog is on) until
    /// graceful shutdown begins, then `STOPPING=1`; without `NOTIFY_SOCKET` it only waits for the shutdown.
    public func run() async throws {
        guard notifier.socketPath != nil else { return try await gracefulShutdown() }
        notifier.notify("READY=1\nSTATUS=running")
        logger.debug(
            "systemd notified: READY=1",
            metadata: ["watchdog": "\(notifier.watchdogInterval.map { "\($0)" } ?? "off")"]
        )
        if let interval = notifier.watchdogInterval {
            while !Task.isShuttingDownGracefully {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                } catch {
                    break
                }
                if !Task.isShuttingDownGracefully { notifier.notify("WATCHDOG=1") }
            }
        } else {
            try? await gracefulShutdown()
        }
        notifier.notify("STOPPING=1\nSTATUS=stopping")
        logger.debug("systemd notified: STOPPING=1")
    }
}
