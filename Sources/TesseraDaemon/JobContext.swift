import Foundation
import Logging

/// What a run of a job gets.
public struct JobContext: Sendable {
    /// The job's name.
    public let job: String
    /// 1 for the first run, then 2, 3, …
    public let run: Int
    /// A logger with `job` and `run` metadata.
    public let logger: Logger
}
