import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization
import TesseraJOSE

/// The token source that asks the identity provider: one client-credentials request, as a straight line —
/// endpoint → credential → assertion → HTTP → parsed answer. Caches and retry policies wrap it; it does
/// neither.
public final class IdentityProviderTokenSource: TokenSource {
    /// The application (client) ID.
    public let clientID: String
    /// Where tokens come from.
    public let authority: Authority
    /// How the client proves its identity (one holding several, as ``RotatingCredential``, moves on when one is
    /// rejected).
    public let credential: any ClientCredential
    let resolver: TokenEndpointResolver
    let transport: HTTPTransport
    let now: @Sendable () -> Date
    let logger: Logger
    let metrics: ClientMetrics
    let clientCapabilities: [String]
    let regional: RegionalRouting?
    /// What each failure means (the client's: the cache's delays and memories).
    let failurePolicy: FailurePolicy

    init(
        clientID: String,
        authority: Authority,
        credential: any ClientCredential,
        transport: HTTPTransport,
        tasks: OwnedTasks,
        now: @escaping @Sendable () -> Date,
        logger: Logger,
        metrics: ClientMetrics,
        clientCapabilities: [String] = [],
        regional: RegionalRouting? = nil,
        failurePolicy: FailurePolicy = FailurePolicy()
    ) {
        self.failurePolicy = failurePolicy
        self.regional = regional
        self.clientCapabilities = clientCapabilities
        self.clientID = clientID
        self.authority = authority
        self.credential = credential
        self.transport = transport
        self.resolver = TokenEndpointResolver(authority: authority, transport: transport, tasks: tasks)
        self.now = now
        self.logger = logger
        self.metrics = metrics
    }

    /// One client-credentials request, never cached. ``FailurePolicy`` decides each failure: it is repeated at the
    /// global endpoint after a regional failure, once with the server's time after a clock-skew rejection, and with
    /// the next credential when a credential holding several (``ClientCredential/alternativeCount``) is rejected.
    public func token(for request: TokenRequest) async throws -> AccessToken {
        let correlationID = UUID().uuidString.lowercased()
        var logger = self.logger
        logger[metadataKey: "correlation_id"] = .string(correlationID)
        let started = ContinuousClock.now
        var state = AttemptState(credentialsLeft: max(0, credential.alternativeCount))
        var global = false
        while true {
            let failure: AttemptFailure
            do {
                let token = try await attempt(request, global: global, correlationID: correlationID, logger: logger)
                metrics.requestsSucceeded.increment()
                metrics.requestDuration.recordNanoseconds(Int64((ContinuousClock.now - started).nanoseconds))
                return token
            } catch let attemptFailure as AttemptFailure {
                failure = attemptFailure
            }
            let error = failure.error
            state.regionalEndpoint = failure.regional
            switch failurePolicy.action(for: .tokenRequest(error, clockSkew: failure.clockSkew), in: state) {
            case .fallBackFromRegion:
                guard let regional else { break }
                regional.suspend(now: now())
                global = true
                logger.warning(
                    "regional token endpoint failed; falling back to the global endpoint",
                    metadata: [
                        "region": "\(regional.region)", "error": "\(error.code)",
                        "status": "\(error.httpStatus.map(String.init) ?? "-")",
                    ]
                )
                continue
            case .correctClock(let skew):
                state.clockCorrected = true
                clockOffset.withLock { $0 = skew }
                logger.warning(
                    "clock skew: the identity provider's clock differs from this host's; assertions now use its time. Fix the host's clock (NTP)",
                    metadata: ["skew_seconds": "\(Int(skew.rounded()))"]
                )
                continue
            case .tryNextCredential:
                state.credentialsLeft -= 1
                if let authentication = failure.authentication { await credential.rejected(authentication) }
                logger.warning(
                    "credential rejected; trying the next one",
                    metadata: [
                        "rejected": "\(failure.authentication?.credentialIdentity ?? credential.identity)",
                        "aadsts": "\(error.aadstsCode.map(String.init) ?? "-")",
                    ]
                )
                continue
            default:
                break  // retries and memory are the cache's; this request has failed
            }
            let correlated = error.correlated(correlationID)
            metrics.requestFailed(correlated.code)
            logger.debug(
                "token request failed",
                metadata: [
                    "error": "\(correlated.code)", "aadsts": "\(correlated.aadstsCode.map(String.init) ?? "-")",
                    "status": "\(correlated.httpStatus.map(String.init) ?? "-")",
                ]
            )
            throw correlated
        }
    }

    /// The server's clock minus ours, learnt from a clock-skew rejection; added to the time assertions are made with.
    private let clockOffset = Mutex<TimeInterval>(0)

    /// A failed attempt, with what the failure policy needs to know about it.
    struct AttemptFailure: Error {
        let error: IdentityError
        /// The server's clock minus ours, when the refused request carried a client assertion (whose times a skew can
        /// invalidate) and the answer had a `Date`.
        let clockSkew: TimeInterval?
        /// Whether the attempt went to the regional endpoint.
        let regional: Bool
        /// The authentication sent, when the request got that far.
        let authentication: ClientAuthentication?
    }

    /// One request, as a straight line: endpoint → credential → assertion → HTTP → parsed answer. Throws an
    /// ``AttemptFailure``, or `CancellationError`.
    private func attempt(
        _ request: TokenRequest,
        global: Bool,
        correlationID: String,
        logger: Logger
    ) async throws -> AccessToken {
        var serverDate: Date?
        var regionalEndpoint = false
        var sent: ClientAuthentication?
        var sentAt = now()
        do {
            let scopes = try ScopePolicy.check(request.scopes, microsoft: authority.isMicrosoft)
            var endpoint = try await resolver.endpoint(tenant: request.tenant)
            var toRegion = false
            if !global, let regional = regional?.endpoint(for: endpoint, now: now()) {
                endpoint = regional
                toRegion = true
            }
            // Assertions are dated by the server's clock once a skew was measured; the token's times stay on ours.
            sentAt = now()
            let assertionTime = sentAt.addingTimeInterval(clockOffset.withLock { $0 })
            let authentication = try await authenticate(
                CredentialContext(clientID: clientID, endpoint: endpoint, now: assertionTime)
            )
            let claims = try ClaimsRequest.merge(request.claims, capabilities: clientCapabilities)
            let httpRequest = makeHTTPRequest(
                endpoint: endpoint,
                scopes: scopes,
                claims: claims,
                authentication: authentication,
                correlationID: correlationID
            )
            logger.debug(
                "token request",
                metadata: [
                    "endpoint": "\(endpoint.url)", "client_id": "\(clientID)",
                    "scope": "\(scopes.joined(separator: " "))",
                    "credential": "\(authentication.credentialIdentity ?? credential.identity)",
                ]
            )
            let httpStarted = ContinuousClock.now
            // Failures before this point (the credential's own) say nothing about the region.
            regionalEndpoint = toRegion
            sent = authentication
            let answer = try await transport.sendForToken(httpRequest, what: "token")
            serverDate = answer.headers.first(name: "Date").flatMap(HTTPDate.parse)
            let context = TokenResponse.Context(
                request: request,
                endpoint: endpoint,
                correlationID: correlationID,
                sentAt: sentAt,
                sensitiveValues: authentication.sensitiveValues
            )
            var token = try TokenResponse.parse(answer, context: context)
            token.httpDuration = ContinuousClock.now - httpStarted
            logger.debug(
                "token acquired",
                metadata: [
                    "expires_in": "\(token.lifetime)", "token": "\(token.fingerprint)",
                    "http_ms": "\(token.httpDuration.milliseconds)",
                ]
            )
            return token
        } catch let error as IdentityError {
            let assertionSent = sent?.formFields.contains { $0.name == "client_assertion" } ?? false
            throw AttemptFailure(
                error: error,
                clockSkew: assertionSent ? serverDate.map { $0.timeIntervalSince(now()) } : nil,
                regional: regionalEndpoint,
                authentication: sent
            )
        }
    }

    private func authenticate(_ context: CredentialContext) async throws -> ClientAuthentication {
        do {
            return try await credential.authentication(for: context)
        } catch let error as IdentityError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw IdentityError(
                .credentialUnavailable,
                "the credential (\(credential.identity)) failed to authenticate the request: \(type(of: error))"
            )
        }
    }

    func makeHTTPRequest(
        endpoint: TokenEndpoint,
        scopes: [String],
        claims: String?,
        authentication: ClientAuthentication,
        correlationID: String
    ) -> HTTPClientRequest {
        var fields: [(name: String, value: String)] = [
            ("grant_type", "client_credentials"), ("client_id", clientID), ("scope", scopes.joined(separator: " ")),
        ]
        if let claims { fields.append(("claims", claims)) }
        fields += authentication.formFields
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        TelemetryHeaders.add(to: &request.headers, correlationID: correlationID)
        if let basic = authentication.basic {
            let pair = FormEncoding.component(basic.user) + ":" + FormEncoding.component(basic.password)
            request.headers.add(name: "Authorization", value: "Basic " + Data(pair.utf8).base64EncodedString())
        }
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(fields)))
        return request
    }
}
