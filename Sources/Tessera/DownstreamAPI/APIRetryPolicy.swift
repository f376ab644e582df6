/// How a caller of a downstream API — ``DownstreamAPIClient`` or the OpenAPI `BearerTokenMiddleware` — waits out
/// `429`/`503` answers. A claims challenge is always answered once.
public struct APIRetryPolicy: Sendable {
    /// The longest `Retry-After` waited out; a longer one ends the call with the server's answer. Default 60 s.
    public var maximumRetryAfter: Duration = .seconds(60)
    /// Retries of a `429`/`503` answer. Default 2.
    public var maximumRetries = 2
    /// The wait before a retry when a `429`/`503` carries no `Retry-After` (doubled per retry). Default 1 s.
    public var retryDelay: Duration = .seconds(1)
    /// How the caller waits (tests inject one). Default `Task.sleep`.
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    /// The defaults: up to 2 retries, `Retry-After` up to 60 s, 1 s (then 2 s) without one.
    public init() {}
}
