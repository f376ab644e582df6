import Foundation

/// The facts of a downstream API's answer that the failure policy needs.
package struct APIAnswerFacts: Sendable {
    /// The HTTP status.
    package var status: Int
    /// The `Retry-After` header's value.
    package var retryAfter: String?
    /// The `WWW-Authenticate` header's values.
    package var wwwAuthenticate: [String]

    /// The facts of one answer.
    package init(status: Int, retryAfter: String?, wwwAuthenticate: [String]) {
        self.status = status
        self.retryAfter = retryAfter
        self.wwwAuthenticate = wwwAuthenticate
    }
}

/// The claims-challenge / `Retry-After` loop of a call with the app's token — written once, used by
/// ``DownstreamAPIClient`` and the OpenAPI `BearerTokenMiddleware`: each attempt gets a token for the API's scopes,
/// sends, and asks ``FailurePolicy`` what a non-2xx answer means.
package struct BearerTokenCall: Sendable {
    /// What an attempt is about to do again, for the caller's logs and metrics.
    package enum Retry: Sendable {
        /// A claims challenge is being answered with a token carrying these claims.
        case claimsChallenge
        /// The API throttled; the next attempt follows this wait.
        case throttled(wait: Duration, attempt: Int)
    }

    /// The call's last answer and what its attempts used.
    package struct Outcome<Answer: Sendable>: Sendable {
        /// The last answer: 2xx, or the failure the policy gave up on.
        package var answer: Answer
        /// Its facts.
        package var facts: APIAnswerFacts
        /// Its `Retry-After`, parsed.
        package var retryAfter: Duration?
        /// What the attempts used (claims challenge answered, retries).
        package var state: AttemptState
    }

    /// Where tokens come from.
    package let tokenSource: any TokenSource
    /// The API's scopes.
    package let scopes: [String]
    /// The tenant whose token to use (`nil`: the source's default).
    package let tenant: String?
    /// The retry bounds.
    package let retry: APIRetryPolicy

    /// A call to an API taking tokens for `scopes` in `tenant`.
    package init(tokenSource: any TokenSource, scopes: [String], tenant: String?, retry: APIRetryPolicy) {
        self.tokenSource = tokenSource
        self.scopes = scopes
        self.tenant = tenant
        self.retry = retry
    }

    /// Sends with `send` until an answer is 2xx or the policy says stop. `retrying` is called before each repeat (the
    /// answer being dropped is the caller's to drain).
    package func run<Answer: Sendable>(
        send: (AccessToken) async throws -> Answer,
        facts: (Answer) -> APIAnswerFacts,
        retrying: (Answer, Retry) async -> Void = { _, _ in }
    ) async throws -> Outcome<Answer> {
        var policy = FailurePolicy()
        policy.api = retry
        var state = AttemptState()
        var pendingClaims: String?  // sent with the next token request only
        while true {
            // The token that answers a challenge replaces the cached one; later retries (429/503) reuse it.
            let token = try await tokenSource.token(
                for: TokenRequest(scopes: scopes, tenant: tenant, claims: pendingClaims)
            )
            pendingClaims = nil
            let answer = try await send(token)
            let answerFacts = facts(answer)
            let retryAfter = RetryAfter.parse(answerFacts.retryAfter, now: Date())
            let outcome = Outcome(answer: answer, facts: answerFacts, retryAfter: retryAfter, state: state)
            guard !(200..<300).contains(answerFacts.status) else { return outcome }
            let challenge = ClaimsChallenge(wwwAuthenticate: answerFacts.wwwAuthenticate)
            let failure = Failure.apiAnswer(
                status: answerFacts.status,
                retryAfter: retryAfter,
                claimsChallenge: challenge != nil
            )
            switch policy.action(for: failure, in: state) {
            case .answerClaimsChallenge:
                await retrying(answer, .claimsChallenge)
                state.claimsChallengeAnswered = true
                pendingClaims = challenge?.claims
            case .retry(let wait):
                state.apiRetries += 1
                await retrying(answer, .throttled(wait: wait, attempt: state.apiRetries))
                try await retry.sleep(wait)
            default:
                return outcome
            }
        }
    }
}
