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
    /// How the client proves its identity (a ``RotatingCredential`` moves on when one is rejected).
    public let credential: any ClientCredential
    let resolver: TokenEndpointResolver
    let transport: HTTPTransport
    let now: @Sendable () -> Date
    let logger: Logger
    let metrics: ClientMetrics
    let clientCapabilities: [String]
    let regional: RegionalRouting?

    init(
        clientID: String,
        authority: Authority,
        credential: any ClientCredential,
        transport: HTTPTransport,
        now: @escaping @Sendable () -> Date,
        logger: Logger,
        metrics: ClientMetrics,
        clientCapabilities: [String] = [],
        regional: RegionalRouting? = nil
    ) {
        self.regional = regional
        self.clientCapabilities = clientCapabilities
        self.clientID = clientID
        self.authority = authority
        self.credential = credential
        self.transport = transport
        self.resolver = TokenEndpointResolver(authority: authority, transport: transport)
        self.now = now
        self.logger = logger
        self.metrics = metrics
    }

    /// One client-credentials request, never cached. It is repeated at the global endpoint after a regional failure,
    /// once with the server's time after a clock-skew rejection, and with the next credential of a rejected
    /// ``RotatingCredential``.
    public func token(for request: TokenRequest) async throws -> AccessToken {
        let correlationID = UUID().uuidString.lowercased()
        var logger = self.logger
        logger[metadataKey: "correlation_id"] = .string(correlationID)
        let started = ContinuousClock.now
        let rotation = credential as? RotatingCredential
        var active: (index: Int, credential: any ClientCredential) = rotation?.active ?? (0, credential)
        var rotations = 0
        var skewCorrected = false
        var global = false
        while true {
            do {
                let token = try await attempt(
                    request,
                    credential: active.credential,
                    global: global,
                    correlationID: correlationID,
                    logger: logger
                )
                metrics.requestsSucceeded.increment()
                metrics.requestDuration.recordNanoseconds(Int64((ContinuousClock.now - started).nanoseconds))
                return token
            } catch {
                let failure: AttemptFailure = error
                // Clock skew (AADSTS700024: the assertion is outside its validity window by the server's clock): adopt
                // the server's time from its Date header and retry once.
                let error = failure.error
                // Regional endpoint unreachable or failing: the global endpoint, now and for a while.
                if let regional, failure.regional, RegionalRouting.shouldFallBack(error) {
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
                }
                if error.aadstsCode == 700_024, !skewCorrected, failure.assertionSent,
                    let serverDate = failure.serverDate
                {
                    // Entra allows 5 minutes of skew: a smaller difference is not why the assertion was refused.
                    let skew = serverDate.timeIntervalSince(now())
                    if abs(skew) >= 60 {
                        skewCorrected = true
                        clockOffset.withLock { $0 = skew }
                        logger.warning(
                            "clock skew: the identity provider's clock differs from this host's; assertions now use its time. Fix the host's clock (NTP)",
                            metadata: ["skew_seconds": "\(Int(skew.rounded()))"]
                        )
                        continue
                    }
                }
                // Rotation: the provider refused this credential itself; the next one of the same app may work.
                if let rotation, error.isCredentialRejection, rotations < rotation.credentials.count - 1 {
                    rotations += 1
                    let rejected = active.credential.identity
                    active = rotation.rejected(active.index)
                    logger.warning(
                        "credential rejected; trying the next one",
                        metadata: [
                            "rejected": "\(rejected)", "aadsts": "\(error.aadstsCode.map(String.init) ?? "-")",
                            "next": "\(active.credential.identity)",
                        ]
                    )
                    continue
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
    }

    /// The server's clock minus ours, learnt from a clock-skew rejection; added to the time assertions are made with.
    private let clockOffset = Mutex<TimeInterval>(0)

    /// A failed attempt, with the server's `Date` when it answered.
    struct AttemptFailure: Error {
        let error: IdentityError
        let serverDate: Date?
        /// Whether the attempt went to the regional endpoint.
        let regional: Bool
        /// Whether it carried a client assertion (whose times a clock skew can invalidate).
        let assertionSent: Bool
    }

    /// One request, as a straight line: endpoint → credential → assertion → HTTP → parsed answer.
    private func attempt(
        _ request: TokenRequest,
        credential: any ClientCredential,
        global: Bool,
        correlationID: String,
        logger: Logger
    ) async throws(AttemptFailure) -> AccessToken {
        var serverDate: Date?
        var regionalEndpoint = false
        var assertionSent = false
        do {
            let scopes = try ScopePolicy.check(request.scopes, microsoft: authority.isMicrosoft)
            var endpoint = try await resolver.endpoint(tenant: request.tenant)
            var toRegion = false
            if !global, let regional = regional?.endpoint(for: endpoint, now: now()) {
                endpoint = regional
                toRegion = true
            }
            // Assertions are dated by the server's clock once a skew was measured; the token's times stay on ours.
            let sentAt = now()
            let assertionTime = sentAt.addingTimeInterval(clockOffset.withLock { $0 })
            let authentication = try await authenticate(
                credential,
                CredentialContext(clientID: clientID, endpoint: endpoint, now: assertionTime)
            )
            assertionSent = authentication.formFields.contains { $0.name == "client_assertion" }
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
                    "scope": "\(scopes.joined(separator: " "))", "credential": "\(credential.identity)",
                ]
            )
            let httpStarted = ContinuousClock.now
            // Failures before this point (the credential's own) say nothing about the region.
            regionalEndpoint = toRegion
            let answer = try await transport.send(httpRequest, what: "token")
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
        } catch {
            throw AttemptFailure(
                error: error,
                serverDate: serverDate,
                regional: regionalEndpoint,
                assertionSent: assertionSent
            )
        }
    }

    private func authenticate(
        _ credential: any ClientCredential,
        _ context: CredentialContext
    ) async throws(IdentityError) -> ClientAuthentication {
        do {
            return try await credential.authentication(for: context)
        } catch let error as IdentityError {
            throw error
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
