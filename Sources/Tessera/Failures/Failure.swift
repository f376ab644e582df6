import Foundation

/// One failed attempt, as the failure policy sees it: a token request's error, or a downstream API's answer.
package enum Failure: Sendable {
    /// A token request failed with `error`. `clockSkew` is the server's clock minus ours, in seconds, when the refused
    /// request carried a client assertion and the answer had a `Date` (a skewed clock can invalidate assertions).
    case tokenRequest(IdentityError, clockSkew: TimeInterval? = nil)
    /// A downstream API answered `status` (not 2xx), with its `Retry-After` and whether it carried a claims challenge.
    case apiAnswer(status: Int, retryAfter: Duration?, claimsChallenge: Bool)
}

/// What the attempts of one operation have used so far, and what the caller can still do.
package struct AttemptState: Sendable, Hashable {
    /// The failed attempt went to the regional token endpoint (and the region was not suspended).
    package var regionalEndpoint = false
    /// The clock was already corrected once in this request.
    package var clockCorrected = false
    /// Credentials of a rotating credential this request may still move on to.
    package var credentialsLeft = 0
    /// Foreground retries of a transient failure left (the cache's: one, as MSAL; the token request itself: none).
    package var foregroundRetriesLeft = 0
    /// A cached token short of its outage margin could serve the caller.
    package var cachedTokenUsable = false
    /// `429`/`503` answers of the API retried so far.
    package var apiRetries = 0
    /// The API's claims challenge was answered already (at most one is).
    package var claimsChallengeAnswered = false

    /// A state with nothing used and nothing available.
    package init(
        regionalEndpoint: Bool = false,
        clockCorrected: Bool = false,
        credentialsLeft: Int = 0,
        foregroundRetriesLeft: Int = 0,
        cachedTokenUsable: Bool = false,
        apiRetries: Int = 0,
        claimsChallengeAnswered: Bool = false
    ) {
        self.regionalEndpoint = regionalEndpoint
        self.clockCorrected = clockCorrected
        self.credentialsLeft = credentialsLeft
        self.foregroundRetriesLeft = foregroundRetriesLeft
        self.cachedTokenUsable = cachedTokenUsable
        self.apiRetries = apiRetries
        self.claimsChallengeAnswered = claimsChallengeAnswered
    }
}

/// What to do after a failure: the one answer of ``FailurePolicy/action(for:in:)``.
package enum FailureAction: Sendable, Hashable {
    /// Try the same request again after this wait (`.zero`: now).
    case retry(after: Duration)
    /// The regional endpoint failed: suspend the region and repeat at the global endpoint.
    case fallBackFromRegion
    /// The assertion was refused for its times and the server's clock differs from ours by a minute or more: date
    /// assertions by the server's clock (this offset, in seconds) and repeat once.
    case correctClock(by: TimeInterval)
    /// The provider refused the credential itself: move on to the next credential and repeat.
    case tryNextCredential
    /// The API asked for claims: get a token carrying them and repeat once.
    case answerClaimsChallenge
    /// Transient failure with a usable cached token: serve it (outage). Identical requests that bypass the cache fail
    /// fast for `failFastFor`, when set.
    case serveCachedToken(failFastFor: Duration?)
    /// Give up with the error. Identical requests fail fast from the throttle memory for `failFastFor`, when set.
    case fail(failFastFor: Duration?)
}
