import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A fault to inject: for requests to `endpoint`, fail the next `count` (or a `fraction`) with `status` and an optional
/// `Retry-After`, and/or add `latencyMilliseconds`. Set through `POST /admin/faults` or `Emulator.Options.faults`.
public struct Fault: Codable, Sendable {
    /// `token`, `discovery`, `keys`, `instance`, `consent` or `any`.
    public var endpoint: String
    /// HTTP status to answer with (e.g. 503, 429); `nil` adds latency only.
    public var status: Int?
    /// `Retry-After` value (seconds or an HTTP date) sent with the status.
    public var retryAfter: String?
    /// Fail the next N matching requests. `nil` with no fraction: every matching request.
    public var count: Int?
    /// Fail this fraction (0…1) of matching requests, at random.
    public var fraction: Double?
    /// Delay before answering, in milliseconds.
    public var latencyMilliseconds: Int?
    /// Close the connection without answering.
    public var dropConnection: Bool?

    /// A fault for requests to `endpoint`; every other setting defaults to `nil` (see each property for its meaning).
    public init(
        endpoint: String,
        status: Int? = nil,
        retryAfter: String? = nil,
        count: Int? = nil,
        fraction: Double? = nil,
        latencyMilliseconds: Int? = nil,
        dropConnection: Bool? = nil
    ) {
        self.dropConnection = dropConnection
        self.endpoint = endpoint
        self.status = status
        self.retryAfter = retryAfter
        self.count = count
        self.fraction = fraction
        self.latencyMilliseconds = latencyMilliseconds
    }
}
