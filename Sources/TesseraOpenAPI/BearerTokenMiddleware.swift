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
///                     middlewares: [try BearerTokenMiddleware(tokenSource: confidentialClient,
///                                                             scopes: ["api://reports/.default"],
///                                                             serverURL: url)])
/// ```
public struct BearerTokenMiddleware: ClientMiddleware {
    let tokenSource: any TokenSource
    let scopes: [String]
    let tenant: String?
    let retry: APIRetryPolicy
    /// The only origin tokens go to, when given.
    let serverOrigin: String?

    /// - Parameters:
    ///   - tokenSource: where tokens come from, usually a ``Tessera/ConfidentialClient``. The middleware sends nothing
    ///     itself: give the generated client's transport the confidential client's pool to share it
    ///     (`AsyncHTTPClientTransport(configuration: .init(client: confidentialClient.httpClient))`).
    ///   - retry: how `429`/`503` answers are waited out — the same ``Tessera/APIRetryPolicy`` as
    ///     ``Tessera/DownstreamAPIClient``'s; past its bounds the answer goes to the caller. Default its defaults.
    ///   - serverURL: the API's server URL (the generated client's): tokens go only to its origin. Whether given or
    ///     not, a token goes only over `https` (or `http` to a loopback host), as ``Tessera/DownstreamAPIClient``'s;
    ///     anything else fails with ``Tessera/DownstreamAPIError/Code/untrustedLink`` or `invalidRequest` before a
    ///     token is asked for.
    /// - Throws: ``Tessera/DownstreamAPIError`` when `serverURL` is not a URL a token may go to.
    public init(
        tokenSource: any TokenSource,
        scopes: [String],
        tenant: String? = nil,
        retry: APIRetryPolicy = APIRetryPolicy(),
        serverURL: URL? = nil
    ) throws(DownstreamAPIError) {
        self.tokenSource = tokenSource
        self.scopes = scopes
        self.tenant = tenant
        self.retry = retry
        self.serverOrigin = try serverURL.map { url throws(DownstreamAPIError) in
            try DownstreamAPIClient.tokenOrigin(of: url.absoluteString)
        }
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
        let origin = try DownstreamAPIClient.tokenOrigin(of: baseURL.absoluteString)
        if let serverOrigin, origin != serverOrigin {
            throw DownstreamAPIError(
                .untrustedLink,
                "\(operationID) would go to \(origin), not the API's origin \(serverOrigin); the token is not sent there"
            )
        }
        var body = body
        var replayable = true
        if let original = body, original.iterationBehavior == .single {
            if case .known(let length) = original.length, length <= Self.replayableBodyLimit {
                body = HTTPBody(try await ArraySlice<UInt8>(collecting: original, upTo: Self.replayableBodyLimit))
            } else {
                replayable = false
            }
        }
        let replayBody = body
        func send(_ token: AccessToken) async throws -> Answer {
            var authorized = request
            authorized.headerFields[.authorization] = "Bearer \(token.token)"
            let (response, responseBody) = try await next(authorized, replayBody, baseURL)
            return Answer(response: response, body: responseBody)
        }
        guard replayable else {
            let token = try await tokenSource.token(for: TokenRequest(scopes: scopes, tenant: tenant))
            let answer = try await send(token)
            return (answer.response, answer.body)
        }
        let call = BearerTokenCall(tokenSource: tokenSource, scopes: scopes, tenant: tenant, retry: retry)
        let outcome = try await call.run(
            send: send,
            facts: { answer in
                APIAnswerFacts(
                    status: answer.response.status.code,
                    retryAfter: answer.response.headerFields[.retryAfter],
                    wwwAuthenticate: answer.response.headerFields[values: .wwwAuthenticate]
                )
            },
            retrying: { answer, _ in
                // The answer being retried is dropped unread.
                if let body = answer.body { _ = try? await ArraySlice<UInt8>(collecting: body, upTo: 64 * 1024) }
            }
        )
        return (outcome.answer.response, outcome.answer.body)
    }

    /// One answer of `next`.
    struct Answer: Sendable {
        let response: HTTPResponse
        let body: HTTPBody?
    }
}
