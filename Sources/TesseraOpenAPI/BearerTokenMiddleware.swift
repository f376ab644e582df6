import Foundation
import HTTPTypes
import OpenAPIRuntime
import Tessera

/// A swift-openapi-runtime `ClientMiddleware` that gives a generated client the app's token, as
/// ``Tessera/DownstreamAPIClient`` does for hand-written calls: `Authorization: Bearer` for the API's scopes; a `401`
/// claims challenge (`error="insufficient_claims", claims=…`) answered once with a token carrying those claims;
/// `429`/`503` retried after `Retry-After` within a bound.
///
/// ```swift
/// let client = Client(serverURL: url, transport: AsyncHTTPClientTransport(),
///                     middlewares: [BearerTokenMiddleware(tokenSource: confidentialClient,
///                                                         scopes: ["api://reports/.default"])])
/// ```
public struct BearerTokenMiddleware: ClientMiddleware {
    let tokenSource: any TokenSource
    let scopes: [String]
    let tenant: String?
    let maximumRetryAfter: Duration
    let maximumRetries: Int
    let retryDelay: Duration
    let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - maximumRetryAfter: the longest `Retry-After` waited out; a longer one returns the `429`/`503` to the caller.
    ///   - maximumRetries: retries of `429`/`503` answers.
    ///   - retryDelay: the wait when no `Retry-After` is sent (doubled per retry).
    public init(
        tokenSource: any TokenSource,
        scopes: [String],
        tenant: String? = nil,
        maximumRetryAfter: Duration = .seconds(60),
        maximumRetries: Int = 2,
        retryDelay: Duration = .seconds(1),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.tokenSource = tokenSource
        self.scopes = scopes
        self.tenant = tenant
        self.maximumRetryAfter = maximumRetryAfter
        self.maximumRetries = maximumRetries
        self.retryDelay = retryDelay
        self.sleep = sleep
    }

    /// Bodies up to this size are buffered so that a request can be sent again; a larger single-pass body is sent once.
    static let replayableBodyLimit = 4 << 20

    /// Sends the request with a bearer token for `scopes`, answers one claims challenge with a new token, and retries
    /// `429`/`503` within the bounds; a single-pass body over 4 MiB or of unknown length is sent only once.
    public func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var body = body
        var replayable = true
        if let original = body, original.iterationBehavior == .single {
            if case .known(let length) = original.length, length <= Self.replayableBodyLimit {
                body = HTTPBody(try await ArraySlice<UInt8>(collecting: original, upTo: Self.replayableBodyLimit))
            } else {
                replayable = false
            }
        }
        var claims: String?  // the challenge answered (at most one)
        var pendingClaims: String?  // sent with the next token request only
        var retries = 0
        while true {
            // The token that answers a challenge replaces the cached one; later retries (429/503) reuse it.
            let token = try await tokenSource.token(
                for: TokenRequest(scopes: scopes, tenant: tenant, claims: pendingClaims)
            )
            pendingClaims = nil
            var authorized = request
            authorized.headerFields[.authorization] = "Bearer \(token.token)"
            let (response, responseBody) = try await next(authorized, body, baseURL)
            guard replayable else { return (response, responseBody) }
            switch response.status.code {
            case 401 where claims == nil:
                guard let challenge = ClaimsChallenge(wwwAuthenticate: response.headerFields[values: .wwwAuthenticate])
                else {
                    return (response, responseBody)
                }
                claims = challenge.claims
                pendingClaims = claims
            case 429, 503:
                let retryAfter = RetryAfter.parse(response.headerFields[.retryAfter], now: Date())
                let wait = retryAfter ?? retryDelay * (1 << min(retries, 16))
                guard retries < maximumRetries, wait <= maximumRetryAfter else { return (response, responseBody) }
                retries += 1
                try await sleep(wait)
            default:
                return (response, responseBody)
            }
            // The answer being retried is dropped unread.
            if let responseBody { _ = try? await ArraySlice<UInt8>(collecting: responseBody, upTo: 64 * 1024) }
        }
    }
}
