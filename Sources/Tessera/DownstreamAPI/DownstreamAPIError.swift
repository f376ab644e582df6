/// Why a downstream API call failed. Errors of the token itself are ``IdentityError``s.
/// `description` names the cause and what to do; it never contains a token or a query string.
public struct DownstreamAPIError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let rawValue: String
        /// The code's name, e.g. `httpStatus`.
        public var description: String { rawValue }
        /// The API answered an HTTP error status (see ``DownstreamAPIError/status`` and
        /// ``DownstreamAPIError/apiCode``).
        public static let httpStatus = Code(rawValue: "httpStatus")
        /// `401` even with a fresh token: wrong audience, missing app role, or a claims challenge that was answered
        /// once.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// `429`/`503` with a `Retry-After` longer than the caller may wait, or still throttled after the retries.
        public static let throttled = Code(rawValue: "throttled")
        /// The connection failed (DNS, refused, reset).
        public static let network = Code(rawValue: "network")
        /// TLS failed (untrusted or invalid server certificate).
        public static let tls = Code(rawValue: "tls")
        /// The API did not answer in time.
        public static let timeout = Code(rawValue: "timeout")
        /// The answer is not what was expected (not JSON, does not decode, larger than allowed).
        public static let invalidResponse = Code(rawValue: "invalidResponse")
        /// A paging link points to another origin than the API's: not followed (the token would leak there).
        public static let untrustedLink = Code(rawValue: "untrustedLink")
        /// The request itself is malformed (bad URL, a scheme other than https off loopback).
        public static let invalidRequest = Code(rawValue: "invalidRequest")
    }

    /// The kind of failure.
    public let code: Code
    /// The cause and the fix.
    public let message: String
    /// The HTTP status, when the API answered.
    public let status: Int?
    /// The API's own error code (Graph's `error.code`, e.g. `Authorization_RequestDenied`).
    public let apiCode: String?
    /// The API's own message (Graph's `error.message`).
    public let apiMessage: String?
    /// The API's request ID (`request-id` header or Graph's `innerError.request-id`), for support cases.
    public let requestID: String?
    /// How long the API asked to wait (`Retry-After`).
    public let retryAfter: Duration?

    /// An error of `code` with `message`, and what the API said when it answered.
    public init(
        _ code: Code,
        _ message: String,
        status: Int? = nil,
        apiCode: String? = nil,
        apiMessage: String? = nil,
        requestID: String? = nil,
        retryAfter: Duration? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.apiCode = apiCode
        self.apiMessage = apiMessage
        self.requestID = requestID
        self.retryAfter = retryAfter
    }

    /// The code and message, then the API's code and request ID when known; never a token or query string.
    public var description: String {
        var text = "\(code): \(message)"
        if let apiCode { text += " [\(apiCode)]" }
        if let requestID { text += " (request-id \(requestID))" }
        return text
    }
}
