import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraJOSE

/// The emulator's HTTP surface: discovery (v1, v2, instance), JWKS and token endpoints (v1, v2); admin consent is
/// ``AdminConsentRoutes``.
struct EmulatorRoutes: Sendable {
    let service: TokenService
    let directory: Directory
    let keys: SigningKeys
    let base: BaseURLs

    func register(on router: Router<EmulatorRequestContext>) {
        // Registered under the tenant parameter: a static "/common" branch would shadow "/common/v2.0/…" in the trie.
        router.get("/:tenant/discovery/instance") { request, context in
            try Self.aliases.contains(context.parameters.require("tenant").lowercased())
                ? self.instanceDiscovery(request) : Response(status: .notFound)
        }
        router.get("/:tenant/v2.0/.well-known/openid-configuration") { _, context in
            try self.discovery(tenant: context.parameters.require("tenant"), version: 2)
        }
        router.get("/:tenant/.well-known/openid-configuration") { _, context in
            try self.discovery(tenant: context.parameters.require("tenant"), version: 1)
        }
        router.get("/:tenant/discovery/v2.0/keys") { _, context in
            try self.jwks(tenant: context.parameters.require("tenant"), version: 2)
        }
        router.get("/:tenant/discovery/keys") { _, context in
            try self.jwks(tenant: context.parameters.require("tenant"), version: 1)
        }
        router.post("/:tenant/oauth2/v2.0/token") { request, context in
            try await self.token(request, tenant: context.parameters.require("tenant"), version: 2)
        }
        router.post("/:tenant/oauth2/token") { request, context in
            try await self.token(request, tenant: context.parameters.require("tenant"), version: 1)
        }
    }

    static let aliases: Set<String> = ["common", "organizations", "consumers"]

    func discovery(tenant name: String, version: Int) throws -> Response {
        let base = base.primary
        let issuerTenant: String
        let pathTenant: String
        if Self.aliases.contains(name.lowercased()) {
            (issuerTenant, pathTenant) = ("{tenantid}", name)
        } else {
            guard let tenant = directory.tenant(name) else { return error(.tenantNotFound(name), correlationID: "") }
            // Entra names the tenant by GUID in the endpoints, whichever name the request used.
            (issuerTenant, pathTenant) = (tenant.id, tenant.id)
        }
        let v2 = version == 2 ? "/v2.0" : ""
        let document: [String: Any] = [
            "issuer": version == 2 ? "\(base)/\(issuerTenant)/v2.0" : "\(base)/\(issuerTenant)/",
            "token_endpoint": "\(base)/\(pathTenant)/oauth2\(v2)/token",
            "authorization_endpoint": "\(base)/\(pathTenant)/oauth2\(v2)/authorize",
            "device_authorization_endpoint": "\(base)/\(pathTenant)/oauth2\(v2)/devicecode",
            "end_session_endpoint": "\(base)/\(pathTenant)/oauth2\(v2)/logout",
            "jwks_uri": "\(base)/\(pathTenant)/discovery\(v2)/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "grant_types_supported": ["client_credentials"],
            "claims_supported": [
                "sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "roles", "azp", "azpacr", "idtyp", "ver",
            ],
            "request_uri_parameter_supported": false, "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "tenant_region_scope": "NA", "cloud_instance_name": "tessera.emulator",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com", "rbac_url": "https://pas.windows.net",
        ]
        return json(document)
    }

    func jwks(tenant name: String, version: Int) throws -> Response {
        let issuerTenant = directory.tenant(name)?.id ?? "{tenantid}"
        return json(
            try keys.jwks(
                issuer: version == 2 ? "\(base.primary)/\(issuerTenant)/v2.0" : "\(base.primary)/\(issuerTenant)/"
            )
        )
    }

    /// MSAL's instance discovery. MSAL drops the port from `authorization_endpoint`, so endpoints are built from our
    /// own base URL; only the tenant is taken from the parameter.
    func instanceDiscovery(_ request: Request) -> Response {
        let endpoint = request.uri.queryParameters.get("authorization_endpoint") ?? ""
        let tenant = URLComponents(string: endpoint)?.path.split(separator: "/").first.map(String.init) ?? "common"
        let host = URLComponents(string: base.primary)?.encodedHost ?? "localhost"
        let hostAndPort = base.primary.components(separatedBy: "://").last ?? host
        return json([
            "tenant_discovery_endpoint": "\(base.primary)/\(tenant)/v2.0/.well-known/openid-configuration",
            "api-version": request.uri.queryParameters.get("api-version") ?? "1.1",
            "metadata": [
                ["preferred_network": hostAndPort, "preferred_cache": hostAndPort, "aliases": [hostAndPort, host]]
            ],
        ])
    }

    func token(_ request: Request, tenant: String, version: Int) async throws -> Response {
        let correlationID = request.headers[HTTPField.Name("client-request-id")!] ?? UUID().uuidString.lowercased()
        let body = try await request.body.collect(upTo: 256 * 1024)
        let form: [String: String]
        do {
            form = try FormEncoding.decode(String(buffer: body))
        } catch {
            return self.error(.malformedForm(error), correlationID: correlationID)
        }
        do {
            let answer = try await service.issue(
                .init(tenant: tenant, form: form, authorization: request.headers[.authorization], version: version)
            )
            return json(answer, extraHeaders: [HTTPField.Name("client-request-id")!: correlationID])
        } catch {
            return self.error(error, correlationID: correlationID)
        }
    }

    func error(_ error: EntraError, correlationID: String) -> Response {
        var response = json(error.json(correlationID: correlationID))
        response.status = .init(code: error.status)
        return response
    }

    func json(_ object: [String: Any], extraHeaders: HTTPFields = [:]) -> Response {
        var response = TesseraEmulator.json(object)
        response.headers.append(contentsOf: extraHeaders)
        return response
    }

    /// `value` through `Codable` (``encodedJSON(_:status:)``), with `extraHeaders`.
    func json(_ value: some Encodable, extraHeaders: HTTPFields) -> Response {
        var response = encodedJSON(value)
        response.headers.append(contentsOf: extraHeaders)
        return response
    }
}
