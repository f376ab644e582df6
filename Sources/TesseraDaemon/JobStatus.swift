import Foundation
import Logging

/// A job's state, for `/healthz` and logs.
public struct JobStatus: Sendable, Codable, Hashable {
    /// The job's name.
    public var name: String
    /// The job's schedule, as text (`once`, `every …`).
    public var schedule: String
    /// Finished runs, successful or not.
    public var runs = 0
    /// Runs that failed, cancelled ones included.
    public var failures = 0
    /// Whether a run is in flight.
    public var running = false
    /// When the last successful run finished; `nil` before the first.
    public var lastSuccess: Date?
    /// When the last failed run finished; `nil` if none has failed.
    public var lastFailure: Date?
    /// The last failure's description (errors never carry secrets).
    public var lastError: String?
    /// Whether the last finished run succeeded (true before the first run).
    public var healthy: Bool { lastFailure == nil || (lastSuccess ?? .distantPast) > lastFailure! }
}
