import Foundation
import Testing

@testable import Tessera

/// One row: a failure, the attempt's state, and the action written out literally (never computed from the catalog or
/// the policy under test).
struct FailureCase: Sendable, CustomTestStringConvertible {
    let name: String
    let failure: Failure
    let state: AttemptState
    let expected: FailureAction
    var testDescription: String { name }

    init(_ name: String, _ failure: Failure, _ expected: FailureAction) {
        self.init(name, failure, AttemptState(), expected)
    }

    init(_ name: String, _ failure: Failure, _ state: AttemptState, _ expected: FailureAction) {
        self.name = name
        self.failure = failure
        self.state = state
        self.expected = expected
    }
}

/// An Entra answer with `aadsts`, mapped the way the token response parser maps it.
private func entra(_ aadsts: Int, status: Int = 400) -> Failure {
    let code = EntraErrorCatalog.entries[aadsts]?.code ?? .requestRejected
    return .tokenRequest(
        IdentityError(code, "AADSTS\(aadsts)", aadstsCode: aadsts, oauthError: "invalid_client", httpStatus: status)
    )
}

private func transport(_ code: IdentityError.Code) -> Failure { .tokenRequest(IdentityError(code, "transport")) }

private func http(_ status: Int, _ code: IdentityError.Code, retryAfter: Duration? = nil) -> Failure {
    .tokenRequest(IdentityError(code, "HTTP \(status)", httpStatus: status, retryAfter: retryAfter))
}

private let cache = AttemptState(foregroundRetriesLeft: 1)
private let outage = AttemptState(cachedTokenUsable: true)
private let rotating = AttemptState(credentialsLeft: 2)
private let regional = AttemptState(regionalEndpoint: true)

let catalogCases: [FailureCase] = [
    .init("700016 app not in tenant", entra(700016), .fail(failFastFor: .seconds(15))),
    .init("7000215 wrong secret, one credential", entra(7_000_215, status: 401), .fail(failFastFor: .seconds(15))),
    .init("7000215 wrong secret, rotating", entra(7_000_215, status: 401), rotating, .tryNextCredential),
    .init("7000222 expired secret, rotating", entra(7_000_222, status: 401), rotating, .tryNextCredential),
    .init("70021 no matching federated credential", entra(70021), .fail(failFastFor: .seconds(15))),
    .init("700211 federated issuer", entra(700211), .fail(failFastFor: .seconds(15))),
    .init("700212 federated audience", entra(700212), .fail(failFastFor: .seconds(15))),
    .init("700213 federated subject", entra(700213), .fail(failFastFor: .seconds(15))),
    .init("50166 issuer metadata unreachable", entra(50166), .fail(failFastFor: .seconds(15))),
    .init("50013 federated signature", entra(50013), .fail(failFastFor: .seconds(15))),
    .init("700027 unknown key, rotating", entra(700027, status: 401), rotating, .tryNextCredential),
    .init("700027 unknown key, one credential", entra(700027, status: 401), .fail(failFastFor: .seconds(15))),
    .init(
        "700024 skew of 10 min with an assertion",
        .tokenRequest(
            IdentityError(.invalidClient, "skew", aadstsCode: 700024, httpStatus: 400),
            clockSkew: 600
        ),
        .correctClock(by: 600)
    ),
    .init(
        "700024 skew of 10 s is not the cause",
        .tokenRequest(IdentityError(.invalidClient, "skew", aadstsCode: 700024, httpStatus: 400), clockSkew: 10),
        .fail(failFastFor: .seconds(15))
    ),
    .init(
        "700024 after the clock was corrected",
        .tokenRequest(IdentityError(.invalidClient, "skew", aadstsCode: 700024, httpStatus: 400), clockSkew: 600),
        AttemptState(clockCorrected: true),
        .fail(failFastFor: .seconds(15))
    ),
    .init("700024 without a server date", entra(700024), .fail(failFastFor: .seconds(15))),
    .init("700023 assertion audience, rotating", entra(700023, status: 401), rotating, .tryNextCredential),
    .init("5002741 several audiences", entra(5_002_741), .fail(failFastFor: .seconds(15))),
    .init("7000274 credential rejected, rotating", entra(7_000_274, status: 401), rotating, .tryNextCredential),
    .init("700025 public client", entra(700025), .fail(failFastFor: .seconds(15))),
    .init("7000218 no credential", entra(7_000_218), .fail(failFastFor: .seconds(15))),
    .init("1002012 scope without .default", entra(1_002_012), .fail(failFastFor: .seconds(15))),
    .init("70011 invalid scope", entra(70011), .fail(failFastFor: .seconds(15))),
    .init("500011 resource not in tenant", entra(500011), .fail(failFastFor: .seconds(15))),
    .init("90002 unknown tenant", entra(90002), .fail(failFastFor: .seconds(15))),
    .init("90033 invalid tenant", entra(90033), .fail(failFastFor: .seconds(15))),
    .init("7000112 application disabled", entra(7_000_112), .fail(failFastFor: .seconds(15))),
    .init("501051 app role required", entra(501051), .fail(failFastFor: .seconds(15))),
    .init("65001 consent required", entra(65001), .fail(failFastFor: .seconds(15))),
    .init("50196 request loop", entra(50196), .fail(failFastFor: .seconds(5))),
    .init("70003 unauthorized grant", entra(70003), .fail(failFastFor: .seconds(15))),
    .init("50011 redirect URI", entra(50011), .fail(failFastFor: .seconds(15))),
    .init("53003 conditional access", entra(53003), .fail(failFastFor: .seconds(15))),
]

let transportCases: [FailureCase] = [
    .init("429 with Retry-After 30", http(429, .throttled, retryAfter: .seconds(30)), .fail(failFastFor: .seconds(30))),
    .init("429 without Retry-After", http(429, .throttled), .fail(failFastFor: .seconds(5))),
    .init(
        "429 in the cache with a usable token",
        http(429, .throttled),
        outage,
        .serveCachedToken(failFastFor: .seconds(5))
    ),
    .init("500 in the cache: one foreground retry", http(500, .serverError), cache, .retry(after: .seconds(1))),
    .init("500 after the foreground retry", http(500, .serverError), .fail(failFastFor: nil)),
    .init(
        "503 with Retry-After is not retried in the foreground",
        http(503, .serverError, retryAfter: .seconds(20)),
        cache,
        .fail(failFastFor: .seconds(20))
    ),
    .init("500 with a usable cached token", http(500, .serverError), outage, .serveCachedToken(failFastFor: nil)),
    .init("timeout in the cache: one foreground retry", transport(.timeout), cache, .retry(after: .seconds(1))),
    .init("timeout at the regional endpoint", transport(.timeout), regional, .fallBackFromRegion),
    .init("TLS failure", transport(.tls), .fail(failFastFor: nil)),
    .init("TLS failure at the regional endpoint", transport(.tls), regional, .fallBackFromRegion),
    .init("refused connection", transport(.network), .fail(failFastFor: nil)),
    .init(
        "refused connection with a usable cached token",
        transport(.network),
        outage,
        .serveCachedToken(failFastFor: nil)
    ),
    .init("refused connection at the regional endpoint", transport(.network), regional, .fallBackFromRegion),
    .init("502 at the regional endpoint", http(502, .serverError), regional, .fallBackFromRegion),
    .init("a 400 at the regional endpoint is the request's", entra(90002), regional, .fail(failFastFor: .seconds(15))),
    .init("credential unavailable (no HTTP)", transport(.credentialUnavailable), .fail(failFastFor: nil)),
]

let apiCases: [FailureCase] = [
    .init(
        "API 401 with a claims challenge",
        .apiAnswer(status: 401, retryAfter: nil, claimsChallenge: true),
        .answerClaimsChallenge
    ),
    .init(
        "API 401 with a challenge after one was answered",
        .apiAnswer(status: 401, retryAfter: nil, claimsChallenge: true),
        AttemptState(claimsChallengeAnswered: true),
        .fail(failFastFor: nil)
    ),
    .init(
        "API 401 without a challenge",
        .apiAnswer(status: 401, retryAfter: nil, claimsChallenge: false),
        .fail(failFastFor: nil)
    ),
    .init(
        "API 429 Retry-After 3",
        .apiAnswer(status: 429, retryAfter: .seconds(3), claimsChallenge: false),
        .retry(after: .seconds(3))
    ),
    .init(
        "API 429 without Retry-After, first",
        .apiAnswer(status: 429, retryAfter: nil, claimsChallenge: false),
        .retry(after: .seconds(1))
    ),
    .init(
        "API 503 without Retry-After, second",
        .apiAnswer(status: 503, retryAfter: nil, claimsChallenge: false),
        AttemptState(apiRetries: 1),
        .retry(after: .seconds(2))
    ),
    .init(
        "API 429 after two retries",
        .apiAnswer(status: 429, retryAfter: .seconds(1), claimsChallenge: false),
        AttemptState(apiRetries: 2),
        .fail(failFastFor: nil)
    ),
    .init(
        "API 429 Retry-After 61 s, over the bound",
        .apiAnswer(status: 429, retryAfter: .seconds(61), claimsChallenge: false),
        .fail(failFastFor: nil)
    ),
    .init("API 500", .apiAnswer(status: 500, retryAfter: nil, claimsChallenge: false), .fail(failFastFor: nil)),
    .init("API 403", .apiAnswer(status: 403, retryAfter: nil, claimsChallenge: false), .fail(failFastFor: nil)),
]

@Suite("One failure path: every failure and attempt state → its action")
struct FailurePolicyTests {
    @Test("the AADSTS catalog", arguments: catalogCases)
    func catalog(_ row: FailureCase) {
        #expect(FailurePolicy().action(for: row.failure, in: row.state) == row.expected)
    }

    @Test("every catalog code has a row")
    func everyCodeCovered() {
        let covered = Set(
            catalogCases.compactMap { row -> Int? in
                guard case .tokenRequest(let error, _) = row.failure else { return nil }
                return error.aadstsCode
            }
        )
        #expect(Set(EntraErrorCatalog.entries.keys).subtracting(covered).isEmpty)
    }

    @Test("HTTP status and transport failures", arguments: transportCases)
    func transportFailures(_ row: FailureCase) {
        #expect(FailurePolicy().action(for: row.failure, in: row.state) == row.expected)
    }

    @Test("a downstream API's answers", arguments: apiCases)
    func apiAnswers(_ row: FailureCase) {
        #expect(FailurePolicy().action(for: row.failure, in: row.state) == row.expected)
    }
}
