import AsyncHTTPClient
import Foundation
import Synchronization
import TesseraJOSE

/// Turns an ``Authority`` and a tenant into a ``TokenEndpoint``: by construction for Microsoft, by checked and cached
/// discovery for a generic issuer (at most one discovery request in flight, run as a task of the client's
/// ``OwnedTasks``: a cancelled caller leaves, the request goes on for the others).
final class TokenEndpointResolver: Sendable {
    let authority: Authority
    private let transport: HTTPTransport
    private let tasks: OwnedTasks
    private let cacheLifetime: Duration
    private let state = Mutex<DiscoveryState>(DiscoveryState())

    struct DiscoveryState {
        var endpoint: TokenEndpoint?
        var fetchedAt: ContinuousClock.Instant?
        var inFlight: SharedResult<TokenEndpoint>?
    }

    init(
        authority: Authority,
        transport: HTTPTransport,
        tasks: OwnedTasks,
        cacheLifetime: Duration = .seconds(24 * 3600)
    ) {
        self.authority = authority
        self.transport = transport
        self.tasks = tasks
        self.cacheLifetime = cacheLifetime
    }

    func endpoint(tenant requestedTenant: String?) async throws -> TokenEndpoint {
        switch authority.kind {
        case .microsoft(let cloud, let defaultTenant):
            let tenant = try TenantName.forTokenRequest(requestedTenant ?? defaultTenant)
            return TokenEndpoint(
                url: "\(cloud.baseURL)/\(tenant)/oauth2/v2.0/token",
                issuer: "\(cloud.baseURL)/\(tenant)/v2.0",
                tenant: tenant
            )
        case .oidc(let issuer, .some(let tokenEndpoint)):
            return TokenEndpoint(url: tokenEndpoint.original, issuer: issuer.original, tenant: nil)
        case .oidc(let issuer, .none):
            return try await discovered(issuer: issuer)
        }
    }

    private func discovered(issuer: EndpointURL) async throws -> TokenEndpoint {
        let now = ContinuousClock.now
        enum Step {
            case cached(TokenEndpoint)
            case wait(SharedResult<TokenEndpoint>, start: Bool)
        }
        let step: Step = state.withLock { state in
            if let endpoint = state.endpoint, let fetchedAt = state.fetchedAt, now - fetchedAt < cacheLifetime {
                return .cached(endpoint)
            }
            if let inFlight = state.inFlight { return .wait(inFlight, start: false) }
            let shared = SharedResult<TokenEndpoint>()
            state.inFlight = shared
            return .wait(shared, start: true)
        }
        switch step {
        case .cached(let endpoint): return endpoint
        case .wait(let shared, let start):
            if start {
                let started = tasks.start {
                    let result: Result<TokenEndpoint, any Error>
                    do {
                        result = .success(try await self.fetch(issuer: issuer))
                    } catch {
                        // Cancelled by shutdown(): the waiters were not, so they learn why.
                        result = .failure(
                            error is CancellationError && self.tasks.isClosed ? IdentityError.shutDown : error
                        )
                    }
                    self.state.withLock { state in
                        if case .success(let endpoint) = result {
                            state.endpoint = endpoint
                            state.fetchedAt = state.fetchedAt.map { max($0, now) } ?? now
                        }
                        state.inFlight = nil
                    }
                    shared.finish(result)
                }
                if !started {
                    state.withLock { $0.inFlight = nil }
                    shared.finish(.failure(IdentityError.shutDown))
                }
            }
            return try await shared.value()
        }
    }

    private func fetch(issuer: EndpointURL) async throws -> TokenEndpoint {
        let url = issuer.string + "/.well-known/openid-configuration"
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let answer = try await transport.sendForToken(request, what: "OIDC discovery")
        guard answer.status == 200 else {
            throw IdentityError(
                .invalidConfiguration,
                "OIDC discovery at \(url) answered HTTP \(answer.status): check the issuer URL, or "
                    + "configure the token endpoint explicitly",
                httpStatus: answer.status
            )
        }
        guard let document = try? StrictJSON.parseObject(answer.body) else {
            throw IdentityError(
                .protocolViolation,
                "the OIDC discovery document at \(url) is not a JSON object",
                httpStatus: 200
            )
        }
        guard document["issuer"]?.stringValue == issuer.original else {
            throw IdentityError(
                .invalidConfiguration,
                "the discovery document's issuer '\(document["issuer"]?.stringValue?.prefix(200) ?? "(none)")' "
                    + "is not the configured issuer '\(issuer.original)'; its endpoints are not used. Configure the issuer exactly "
                    + "as the server names itself, or configure the token endpoint explicitly"
            )
        }
        guard let tokenEndpointText = document["token_endpoint"]?.stringValue else {
            throw IdentityError(
                .protocolViolation,
                "the discovery document at \(url) has no token_endpoint; configure it explicitly"
            )
        }
        let tokenEndpoint = try EndpointURL(tokenEndpointText, what: "discovered token endpoint")
        guard tokenEndpoint.origin == issuer.origin else {
            throw IdentityError(
                .invalidConfiguration,
                "the discovered token endpoint \(tokenEndpoint.origin) is not on the issuer's origin "
                    + "\(issuer.origin), so it is not trusted for credentials; configure the token endpoint explicitly if it is right"
            )
        }
        return TokenEndpoint(url: tokenEndpoint.original, issuer: issuer.original, tenant: nil)
    }
}
