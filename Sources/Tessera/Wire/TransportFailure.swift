import AsyncHTTPClient

/// A request that got no usable answer: the connection, TLS or the deadline failed, or the answer was too large.
/// Each side maps it to its own error — ``IdentityError`` for token requests, ``DownstreamAPIError`` for API calls —
/// and the failure policy decides whether it is retried; the message never promises it.
struct TransportFailure: Error, Sendable {
    enum Kind: Sendable, Equatable {
        case timeout, tls, network
        case tooLarge(status: Int)
    }

    let kind: Kind
    /// What failed, with which host, and what to check; never a token, secret or query string.
    let message: String
}

extension HTTPTransport {
    /// `send`, for the token side: a transport failure becomes its ``IdentityError``; cancellation stays
    /// `CancellationError`.
    func sendForToken(_ request: HTTPClientRequest, what: String) async throws -> Answer {
        do {
            return try await send(request, what: what)
        } catch let failure as TransportFailure {
            throw IdentityError(failure)
        }
    }
}

extension IdentityError {
    /// The token side's error for a transport failure.
    init(_ failure: TransportFailure) {
        switch failure.kind {
        case .timeout: self.init(.timeout, failure.message)
        case .tls: self.init(.tls, failure.message)
        case .network: self.init(.network, failure.message)
        case .tooLarge(let status): self.init(.protocolViolation, failure.message, httpStatus: status)
        }
    }
}
