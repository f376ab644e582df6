import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Tessera
import TesseraJOSE

/// ISV onboarding over the admin-consent flow: `GET /onboarding/start[?tenant=…]` redirects a customer's
/// administrator to Entra's consent page with a fresh `state`, also set as an HttpOnly cookie;
/// `GET /onboarding/callback` is the app's redirect URI: the state must be pending and match the browser's cookie (no
/// forged callbacks), and consent is proven by getting a token in the new tenant (``verify``) before the tenant is
/// recorded in the ``TenantRegistry``. The daemon serves it from its next run — no restart.
public struct Onboarding: Sendable {
    /// The app's client (application) ID the consent is for.
    public let clientID: String
    /// The cloud whose consent page administrators are sent to.
    public let cloud: AzureCloud
    /// The callback's public URL, registered on the app (e.g. behind a reverse proxy to the loopback endpoint).
    public let redirectURI: String
    /// Where onboarded tenants are recorded.
    public let registry: TenantRegistry
    /// Proves consent in a tenant by getting an app token there (its `tid` claim, when it has one, must name the
    /// tenant being onboarded); throwing refuses the tenant.
    let verify: @Sendable (String) async throws -> AccessToken
    let pending = PendingStates()
    let limits: OnboardingLimits
    static let cookie = "tessera_onboarding"

    /// Onboarding for app `clientID` in `cloud`; `verify` proves consent — an app token in the tenant — before a
    /// tenant is added to `registry`.
    public init(
        clientID: String,
        cloud: AzureCloud,
        redirectURI: String,
        registry: TenantRegistry,
        verify: @escaping @Sendable (String) async throws -> AccessToken
    ) {
        self.init(
            clientID: clientID,
            cloud: cloud,
            redirectURI: redirectURI,
            registry: registry,
            limits: .init(),
            verify
        )
    }

    init(
        clientID: String,
        cloud: AzureCloud,
        redirectURI: String,
        registry: TenantRegistry,
        limits: OnboardingLimits,
        _ verify: @escaping @Sendable (String) async throws -> AccessToken
    ) {
        self.clientID = clientID
        self.cloud = cloud
        self.redirectURI = redirectURI
        self.registry = registry
        self.limits = limits
        self.verify = verify
    }

    /// `/onboarding/start` and `/onboarding/callback`. Both are rate-limited (per client address and overall: 429);
    /// answers carry fixed messages — what went wrong in detail goes to the log.
    func register(on router: Router<OperatorRequestContext>, logger: Logger) {
        router.get("onboarding/start") { request, context -> Response in
            guard limits.admit(Self.address(context, request)) else { return Self.tooMany() }
            let tenant: String
            do {
                tenant = try FormEncoding.decode(request.uri.query ?? "")["tenant"] ?? "organizations"
                let state = pending.issue(tenant: tenant)
                let url = try AdminConsent.url(
                    tenant: tenant,
                    clientID: clientID,
                    redirectURI: redirectURI,
                    state: state,
                    cloud: cloud
                )
                let secure = redirectURI.lowercased().hasPrefix("https://") ? "; Secure" : ""
                let cookie = "\(Self.cookie)=\(state); Path=/onboarding; Max-Age=900; HttpOnly; SameSite=Lax\(secure)"
                return Response(status: .found, headers: [.location: url, .setCookie: cookie])
            } catch {
                logger.info("onboarding start refused", metadata: ["error": "\(error)"])
                return Self.json(.badRequest, Self.invalidRequest)
            }
        }
        router.get("onboarding/callback") { request, context -> Response in
            // A callback that carries a pending state and its browser's cookie is let through: states are bounded
            // and limited at the start, and a flood elsewhere must not turn an administrator away after consenting.
            let state = (try? FormEncoding.decode(request.uri.query ?? ""))?["state"]
            let browser = Self.cookieValue(request.headers[values: .cookie], name: Self.cookie)
            let expected = state.map { $0 == browser && pending.isPending($0) } ?? false
            guard expected || limits.admit(Self.address(context, request)) else { return Self.tooMany() }
            return await callback(request, logger: logger)
        }
    }

    /// The callback, once admitted: the state, Entra's answer, the tenant asked for, then the token that proves it.
    func callback(_ request: Request, logger: Logger) async -> Response {
        let query: [String: String]
        do {
            query = try FormEncoding.decode(request.uri.query ?? "")
        } catch {
            logger.info("onboarding callback refused", metadata: ["error": "\(error)"])
            return Self.json(.badRequest, Self.invalidRequest)
        }
        let browser = Self.cookieValue(request.headers[values: .cookie], name: Self.cookie)
        guard let state = query["state"], state == browser, let asked = pending.consume(state) else {
            return Self.json(
                .badRequest,
                [
                    "error": "invalid_state",
                    "message": "unknown, expired or foreign state: start again at /onboarding/start in this browser",
                ]
            )
        }
        let tenant: String
        do {
            switch try AdminConsent.parse(redirect: "\(redirectURI)?\(request.uri.query ?? "")", expectedState: state) {
            case .granted(let granted, _):
                tenant = granted
            case .denied(let error, let description, _):
                logger.warning(
                    "admin consent denied",
                    metadata: ["error": "\(error)", "description": "\(description ?? "")"]
                )
                return Self.json(
                    .badRequest,
                    ["error": "consent_denied", "message": "the administrator did not grant consent"]
                )
            }
        } catch {
            logger.info("onboarding callback refused", metadata: ["error": "\(error)"])
            return Self.json(.badRequest, Self.invalidRequest)
        }
        guard let proveIn = Self.tenantToProve(asked: asked, granted: tenant) else {
            logger.warning(
                "onboarding refused: consent came from another tenant",
                metadata: ["asked": "\(asked)", "granted": "\(tenant)"]
            )
            return Self.json(.badRequest, Self.mismatch)
        }
        guard !limits.recentlyFailed(proveIn), !limits.recentlyFailed(tenant) else {
            logger.info("onboarding refused: the tenant failed recently", metadata: ["tenant": "\(tenant)"])
            return Self.json(.badRequest, Self.notConfirmed)
        }
        do {
            let token = try await verify(proveIn)
            let issuedIn = Self.tenantClaim(token.token)
            // A domain asked for is tied to the granted tenant only by the token's tid: without one, refuse.
            if proveIn != tenant && issuedIn == nil || issuedIn.map({ $0.lowercased() != tenant.lowercased() }) == true
            {
                logger.warning(
                    "onboarding refused: the token is for another tenant",
                    metadata: ["asked": "\(asked)", "granted": "\(tenant)", "tid": "\(issuedIn ?? "none")"]
                )
                return Self.json(.badRequest, Self.mismatch)
            }
        } catch {
            limits.failed(proveIn)
            limits.failed(tenant)
            logger.warning(
                "onboarding refused: no token in the tenant",
                metadata: ["tenant": "\(tenant)", "error": "\(error)"]
            )
            return Self.json(.badRequest, Self.notConfirmed)
        }
        do {
            let added = try registry.add(tenant)
            logger.notice("tenant onboarded", metadata: ["tenant": "\(tenant)", "new": "\(added)"])
            return Self.json(.ok, ["tenant": tenant, "status": added ? "onboarded" : "already onboarded"])
        } catch {
            logger.error("onboarding: the tenant registry cannot be written", metadata: ["error": "\(error)"])
            return Self.json(
                .internalServerError,
                ["error": "server_error", "message": "the tenant could not be recorded: see the daemon's log"]
            )
        }
    }

    /// The tenant to get the proving token in: the granted one when any was asked for (`organizations`, `common`);
    /// when a tenant ID was asked for, it must be the granted one; a domain name is proven by name (its token's `tid`
    /// must then be the granted tenant). `nil`: consent came from another tenant than asked.
    static func tenantToProve(asked: String, granted: String) -> String? {
        switch asked.lowercased() {
        case "organizations", "common": return granted
        case granted.lowercased(): return granted
        default: return UUID(uuidString: asked) == nil ? asked : nil
        }
    }

    /// The `tid` claim of a JWT access token (read, not verified: it just came from the identity provider over TLS),
    /// or `nil` when the token is not a JWT or has none.
    static func tenantClaim(_ token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(parts[1]),
            let claims = try? StrictJSON.parseObject(bytes)
        else { return nil }
        return claims["tid"]?.stringValue
    }

    /// The client's address: the peer's, or — when the peer is on loopback, the reverse proxy the endpoint is meant to
    /// sit behind (it binds 127.0.0.1) — the last `X-Forwarded-For` entry, the one that proxy added.
    static func address(_ context: OperatorRequestContext, _ request: Request) -> String {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        guard LoopbackHost.contains(peer),
            let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!].last?
                .split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            !forwarded.isEmpty
        else { return peer }
        return String(forwarded.prefix(64))
    }

    static func tooMany() -> Response {
        var response = json(
            .tooManyRequests,
            ["error": "too_many_requests", "message": "too many onboarding requests: try again in a minute"]
        )
        response.headers[.retryAfter] = "60"
        return response
    }

    static let invalidRequest = [
        "error": "invalid_request", "message": "the request cannot be read: start again at /onboarding/start",
    ]
    static let mismatch = [
        "error": "tenant_mismatch",
        "message": "consent was granted in another tenant than onboarding started for: start again for that tenant",
    ]
    static let notConfirmed = [
        "error": "consent_not_confirmed",
        "message":
            "consent could not be confirmed with an app token in the tenant: check that an administrator granted it, "
            + "then start again in a minute",
    ]

    static func cookieValue(_ headers: [String], name: String) -> String? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
