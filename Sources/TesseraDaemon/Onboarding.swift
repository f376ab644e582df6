import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Tessera
import TesseraJOSE

/// ISV onboarding over the admin-consent flow: `GET /onboarding/start[?tenant=…]` redirects a customer's administrator
/// to Entra's consent page (with a fresh `state`); `GET /onboarding/callback` is the app's redirect URI: it checks the
/// state, records the tenant in the ``TenantRegistry`` and the daemon serves it from its next run — no restart.
public struct Onboarding: Sendable {
    public let clientID: String
    public let cloud: AzureCloud
    /// The callback's public URL, registered on the app (e.g. behind a reverse proxy to the loopback endpoint).
    public let redirectURI: String
    public let registry: TenantRegistry
    let pending = PendingStates()

    public init(clientID: String, cloud: AzureCloud, redirectURI: String, registry: TenantRegistry) {
        self.clientID = clientID
        self.cloud = cloud
        self.redirectURI = redirectURI
        self.registry = registry
    }

    func register(on router: Router<BasicRequestContext>, logger: Logger) {
        router.get("onboarding/start") { request, _ -> Response in
            let tenant = request.uri.queryParameters.get("tenant") ?? "organizations"
            let state = pending.issue()
            do {
                let url = try AdminConsent.url(tenant: tenant, clientID: clientID, redirectURI: redirectURI, state: state, cloud: cloud)
                return Response(status: .found, headers: [.location: url])
            } catch {
                return Self.json(.badRequest, ["error": "invalid_request", "message": "\(error)"])
            }
        }
        router.get("onboarding/callback") { request, _ -> Response in
            let query = FormEncoding.decode(request.uri.query ?? "")
            guard let state = query["state"], pending.consume(state) else {
                return Self.json(.badRequest, ["error": "invalid_state", "message": "unknown or expired state: start again at /onboarding/start"])
            }
            do {
                switch try AdminConsent.parse(redirect: "\(redirectURI)?\(request.uri.query ?? "")", expectedState: state) {
                case .granted(let tenant, _):
                    let added = try registry.add(tenant)
                    logger.notice("tenant onboarded", metadata: ["tenant": "\(tenant)", "new": "\(added)"])
                    return Self.json(.ok, ["tenant": tenant, "status": added ? "onboarded" : "already onboarded"])
                case .denied(let error, let description, _):
                    logger.warning("admin consent denied", metadata: ["error": "\(error)"])
                    return Self.json(.badRequest, ["error": error, "message": description ?? "consent was not granted"])
                }
            } catch {
                return Self.json(.badRequest, ["error": "invalid_request", "message": "\(error)"])
            }
        }
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// `state` values handed out by `/onboarding/start`: single use, valid 15 minutes, at most 1,000 pending.
final class PendingStates: Sendable {
    private let states = Mutex<[String: Date]>([:])

    func issue(now: Date = Date()) -> String {
        let state = UUID().uuidString.lowercased()
        states.withLock { states in
            states = states.filter { $0.value > now }
            if states.count >= 1000, let oldest = states.min(by: { $0.value < $1.value })?.key { states[oldest] = nil }
            states[state] = now.addingTimeInterval(900)
        }
        return state
    }

    func consume(_ state: String, now: Date = Date()) -> Bool {
        states.withLock { states in
            guard let expiry = states.removeValue(forKey: state) else { return false }
            return expiry > now
        }
    }
}

