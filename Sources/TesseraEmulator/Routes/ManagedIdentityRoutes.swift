import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The managed-identity endpoints of Azure hosts, served from the directory's `managedIdentities`:
/// IMDS (`GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…`, header `Metadata: true`) and
/// App Service (`GET /msi/token?api-version=2019-08-01&resource=…`, header `X-IDENTITY-HEADER`), with their answer
/// shapes (IMDS: times as strings) and errors.
struct ManagedIdentityRoutes: Sendable {
    let service: TokenService
    let directory: Directory
    let identityHeader: String

    func register(on router: Router<EmulatorRequestContext>) {
        router.get("/metadata/identity/oauth2/token") { request, _ in await self.imds(request) }
        router.get("/msi/token") { request, _ in await self.appService(request) }
    }

    func imds(_ request: Request) async -> Response {
        let query = request.uri.queryParameters
        guard request.headers[HTTPField.Name("Metadata")!]?.lowercased() == "true" else {
            return Self.error(400, "invalid_request", "Required metadata header not specified")
        }
        guard query.get("api-version") != nil else {
            return Self.error(400, "invalid_request", "Required query variable 'api-version' is missing")
        }
        guard let resource = query.get("resource").flatMap({ $0.removingPercentEncoding }), !resource.isEmpty else {
            return Self.error(400, "invalid_request", "Required query variable 'resource' is missing")
        }
        let selectors = [query.get("client_id"), query.get("object_id"), query.get("msi_res_id")].compactMap { $0 }
        guard selectors.count <= 1 else {
            return Self.error(400, "invalid_request", "Only one of client_id, object_id, msi_res_id may be given")
        }
        guard
            let identity = directory.managedIdentity(
                clientID: query.get("client_id"),
                objectID: query.get("object_id"),
                resourceID: query.get("msi_res_id")?.removingPercentEncoding
            )
        else { return Self.error(400, "invalid_request", "Identity not found") }
        do {
            let issued = try await service.issue(managedIdentity: identity, resource: resource)
            let now = Int64(service.now().timeIntervalSince1970)
            return Self.json([
                "access_token": issued.token, "client_id": identity.clientId, "expires_in": "\(issued.lifetime)",
                "expires_on": "\(now + Int64(issued.lifetime))", "ext_expires_in": "\(issued.lifetime)",
                "not_before": "\(now)",
                "resource": issued.resource, "token_type": "Bearer",
            ])
        } catch {
            return Self.error(400, "invalid_resource", "AADSTS\(error.code): \(error.description)")
        }
    }

    func appService(_ request: Request) async -> Response {
        let query = request.uri.queryParameters
        // In constant time: the header is the secret App Service hands the workload (IDENTITY_HEADER).
        guard let header = request.headers[HTTPField.Name("X-IDENTITY-HEADER")!],
            ConstantTime.equals(header, identityHeader)
        else {
            return Self.json(
                ["statusCode": 400, "message": "The X-IDENTITY-HEADER header is missing or wrong."],
                status: .badRequest
            )
        }
        guard query.get("api-version") == "2019-08-01" else {
            return Self.json(["statusCode": 400, "message": "api-version must be 2019-08-01."], status: .badRequest)
        }
        guard let resource = query.get("resource").flatMap({ $0.removingPercentEncoding }), !resource.isEmpty else {
            return Self.json(["statusCode": 400, "message": "The resource parameter is missing."], status: .badRequest)
        }
        guard
            let identity = directory.managedIdentity(
                clientID: query.get("client_id"),
                objectID: query.get("principal_id"),
                resourceID: query.get("mi_res_id")?.removingPercentEncoding
            )
        else {
            return Self.json(
                ["statusCode": 400, "message": "No managed identity matches the request."],
                status: .badRequest
            )
        }
        do {
            let issued = try await service.issue(managedIdentity: identity, resource: resource)
            let expiresOn = Int64(service.now().timeIntervalSince1970) + Int64(issued.lifetime)
            return Self.json([
                "access_token": issued.token, "expires_on": "\(expiresOn)", "resource": issued.resource,
                "token_type": "Bearer", "client_id": identity.clientId,
            ])
        } catch {
            return Self.json(
                ["statusCode": 400, "message": "AADSTS\(error.code): \(error.description)"],
                status: .badRequest
            )
        }
    }

    static func error(_ status: Int, _ error: String, _ description: String) -> Response {
        json(["error": error, "error_description": description], status: .init(code: status))
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
