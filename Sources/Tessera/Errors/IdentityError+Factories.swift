extension IdentityError {
    /// The error a custom ``ClientCredential`` or ``TokenSource`` throws when it cannot produce its credential or token
    /// now (a vault unreachable, a file missing): a ``ChainedTokenSource`` moves on to its next source.
    ///
    /// ```swift
    /// throw IdentityError.credentialUnavailable("the vault at \(url) did not answer: check its address")
    /// ```
    public static func credentialUnavailable(_ message: String) -> IdentityError {
        IdentityError(.credentialUnavailable, message)
    }

    /// A setting is missing or wrong; `message` names the setting and the fix.
    public static func invalidConfiguration(_ message: String) -> IdentityError {
        IdentityError(.invalidConfiguration, message)
    }

    /// The identity provider (or the custom source's own backend) rejected the credential; `aadstsCode` when Entra said
    /// which rejection it was (AADSTS7000215 …), so that rotation and the failure policy can act on it.
    public static func invalidClient(_ message: String, aadstsCode: Int? = nil, httpStatus: Int? = 401) -> IdentityError
    {
        IdentityError(
            .invalidClient,
            message,
            aadstsCode: aadstsCode,
            oauthError: "invalid_client",
            httpStatus: httpStatus
        )
    }

    /// The backend asked the caller to slow down, for `retryAfter` when known: identical requests fail fast meanwhile.
    public static func throttled(_ message: String, retryAfter: Duration? = nil) -> IdentityError {
        IdentityError(.throttled, message, httpStatus: 429, retryAfter: retryAfter)
    }

    /// The backend failed (a 5xx): transient, retried once in the foreground and served through by the cache.
    public static func serverError(
        _ message: String,
        httpStatus: Int = 500,
        retryAfter: Duration? = nil
    )
        -> IdentityError
    {
        IdentityError(.serverError, message, httpStatus: httpStatus, retryAfter: retryAfter)
    }

    /// The backend could not be reached: transient.
    public static func network(_ message: String) -> IdentityError {
        IdentityError(.network, message)
    }

    /// The backend did not answer in time: transient.
    public static func timeout(_ message: String) -> IdentityError {
        IdentityError(.timeout, message)
    }

    /// The backend's answer was not a valid token answer.
    public static func protocolViolation(_ message: String) -> IdentityError {
        IdentityError(.protocolViolation, message)
    }
}

extension IdentityError {
    /// What a request made after the client's shutdown ends with.
    static let shutDown = IdentityError(
        .clientShutDown,
        "the client was shut down (shutdown(), or its run() ended): it makes no more token requests; keep it "
            + "running while it is used (withConfidentialClient, or run() in a ServiceGroup)"
    )
}
