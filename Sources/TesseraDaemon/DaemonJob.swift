import Foundation
import Logging

/// A unit of work the daemon runs on a schedule, e.g. "sync the tenant's users every 5 minutes".
public struct DaemonJob: Sendable {
    /// When a job runs.
    public enum Schedule: Sendable, Hashable, CustomStringConvertible {
        /// Once, at start; the daemon exits when every job is done.
        case once
        /// At start, then every interval after the previous run began (a run longer than the interval delays the next;
        /// runs never overlap).
        case every(Duration)

        /// `once`, or `every` and the interval, e.g. `every 300.0 seconds`.
        public var description: String {
            switch self {
            case .once: return "once"
            case .every(let interval): return "every \(interval)"
            }
        }
    }

    /// The job's name, used in logs, metrics (`job` label) and `/healthz`.
    public let name: String
    /// When the job runs.
    public let schedule: Schedule
    let work: @Sendable (JobContext) async throws -> Void

    /// - Parameter work: one run. Throwing marks the run failed (logged, counted, retried at the next tick); the run is
    ///   cancelled (task cancellation) when the daemon stops and the shutdown timeout has passed.
    public init(name: String, schedule: Schedule, _ work: @escaping @Sendable (JobContext) async throws -> Void) {
        self.name = name
        self.schedule = schedule
        self.work = work
    }
}
