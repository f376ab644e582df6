import Foundation
import Logging

/// A job's state, for `/healthz` and logs.
public struct JobStatus: Sendable, Codable, Hashable {
    public var name: String
    public var schedule: String
    public var runs = 0
    public var failures = 0
    public var running = false
    public var lastSuccess: Date?
    public var lastFailure: Date?
    /// The last failure's description (errors never carry secrets).
    public var lastError: String?
    /// Whether the last finished run succeeded (true before the first run).
    public var healthy: Bool { lastFailure == nil || (lastSuccess ?? .distantPast) > lastFailure! }
}
