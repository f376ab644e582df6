import Foundation
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
    /// Proves consent in a tenant, e.g. by getting an app token there; throwing refuses the tenant.
    let verify: @Sendable (String) async throws -> Void
    let pending = PendingStates()
    static let cookie = "tessera_onboarding"

    /// Onboarding for app `clientID` in `cloud`; `verify` proves consent before a tenant is added to `registry`.
    public init(
        clientID: String,
        cloud: AzureCloud,
        redirectURI: String,
        registry: TenantRegistry,
        verify: @escaping @Sendable (String) async throws -> Void
    ) {
        self.clientID = clientID
        self.cloud = cloud
        self.redirectURI = redirectURI
        self.registry = registry
        self.verify = verify
    }

    func register(on router: Router<BasicRequestContext>, logger: Logger) {
        router.get("onboarding/start") { request, _ -> Response in
            let tenant = request.uri.queryParameters.get("tenant") ?? "organizations"
            let state = pending.issue()
            do {
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
                return Self.json(.badRequest, ["error": "invalid_request", "message": "\(error)"])
            }
        }
        router.get("onboarding/callback") { request, _ -> Response in
            let query = FormEncoding.decode(request.uri.query ?? "")
            let browser = Self.cookieValue(request.headers[values: .cookie], name: Self.cookie)
            guard let state = query["state"], state == browser, pending.consume(state) else {
                return Self.json(
                    .badRequest,
                    [
                        "error": "invalid_state",
                        "message":
                            "unknown, expired or foreign state: start again at /onboarding/start in this browser",
                    ]
                )
            }
            do {
                switch try AdminConsent.parse(
                    redirect: "\(redirectURI)?\(request.uri.query ?? "")",
                    expectedState: state
                ) {
                case .granted(let tenant, _):
                    do {
                        try await verify(tenant)
                    } catch {
                        logger.warning(
                            "onboarding refused: no token in the tenant",
                            metadata: ["tenant": "\(tenant)", "error": "\(error)"]
                        )
                        return Self.json(
                            .badRequest,
                            [
                                "error": "consent_not_confirmed",
                                "message": "no app token could be had in tenant \(tenant): \(error)",
                            ]
                        )
                    }
                    let added = try registry.add(tenant)
                    logger.notice("tenant onboarded", metadata: ["tenant": "\(tenant)", "new": "\(added)"])
                    return Self.json(.ok, ["tenant": tenant, "status": added ? "onboarded" : "already onboarded"])
                case .denied(let error, let description, _):
                    logger.warning("admin consent denied", metadata: ["error": "\(error)"])
                    return Self.json(
                        .badRequest,
                        ["error": error, "message": description ?? "consent was not granted"]
                    )
                }
            } catch {
                return Self.json(.badRequest, ["error": "invalid_request", "message": "\(error)"])
            }
        }
    }

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
