import Foundation

/// Where every failure is decided: a pure function of the failure and the attempt's state so far to one
/// ``FailureAction``. The token request, the cache, the downstream caller and the OpenAPI middleware all ask it;
/// none decides on its own.
package struct FailurePolicy: Sendable {
    /// The wait before the cache's one foreground retry of a `5xx` or timeout without `Retry-After`.
    package var foregroundRetryDelay: Duration = .seconds(1)
    /// How long a `429` without `Retry-After` blocks identical token requests.
    package var defaultThrottle: Duration = .seconds(5)
    /// How long an identical token request that got another `4xx` fails fast.
    package var rejectionMemory: Duration = .seconds(15)
    /// A downstream API's `429`/`503` retries: how many, how long a `Retry-After` may be, the default wait.
    package var api = APIRetryPolicy()

    /// The defaults of ``TokenCachePolicy`` and ``APIRetryPolicy``.
    package init() {}

    /// The one action for `failure` given what the attempts used so far.
    package func action(for failure: Failure, in state: AttemptState) -> FailureAction {
        switch failure {
        case .tokenRequest(let error, let clockSkew):
            return tokenRequestAction(error, clockSkew: clockSkew, state: state)
        case .apiAnswer(let status, let retryAfter, let claimsChallenge):
            if status == 401, claimsChallenge, !state.claimsChallengeAnswered { return .answerClaimsChallenge }
            guard status == 429 || status == 503 else { return .fail(failFastFor: nil) }
            let wait = retryAfter ?? api.retryDelay * (1 << min(state.apiRetries, 16))
            guard state.apiRetries < api.maximumRetries, wait <= api.maximumRetryAfter else {
                return .fail(failFastFor: nil)
            }
            return .retry(after: wait)
        }
    }

    private func tokenRequestAction(
        _ error: IdentityError,
        clockSkew: TimeInterval?,
        state: AttemptState
    ) -> FailureAction {
        // The regional service is unreachable or unwell: nothing is known about the request itself yet.
        if state.regionalEndpoint, Self.regionMayBeAtFault(error) { return .fallBackFromRegion }
        // AADSTS700024: the assertion is outside its validity window by the server's clock. Entra allows 5 minutes of
        // skew, so a difference under a minute is not why it was refused.
        if error.aadstsCode == 700_024, !state.clockCorrected, let clockSkew, abs(clockSkew) >= 60 {
            return .correctClock(by: clockSkew)
        }
        if error.isCredentialRejection, state.credentialsLeft > 0 { return .tryNextCredential }
        if error.code == .serverError || error.code == .timeout, error.retryAfter == nil,
            state.foregroundRetriesLeft > 0
        {
            return .retry(after: foregroundRetryDelay)
        }
        let memory = failFastDuration(error)
        if error.isTransient, state.cachedTokenUsable { return .serveCachedToken(failFastFor: memory) }
        return .fail(failFastFor: memory)
    }

    /// How long identical requests fail fast after `error`: a throttle's `Retry-After` (or the default), any other
    /// `Retry-After`, a 4xx's rejection memory; a 5xx or transport failure is not remembered.
    private func failFastDuration(_ error: IdentityError) -> Duration? {
        if error.code == .throttled { return error.retryAfter ?? defaultThrottle }
        if let retryAfter = error.retryAfter { return retryAfter }
        if let status = error.httpStatus, (400..<500).contains(status) { return rejectionMemory }
        return nil
    }

    /// Failures that say nothing about the request itself: the endpoint is unreachable or unwell.
    static func regionMayBeAtFault(_ error: IdentityError) -> Bool {
        [.network, .tls, .timeout, .serverError].contains(error.code) || (error.httpStatus ?? 0) >= 500
    }
}
