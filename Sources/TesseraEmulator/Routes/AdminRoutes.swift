import Foundation
import HTTPTypes
import Hummingbird
import TesseraJOSE

/// The admin REST API (loopback only — the emulator binds 127.0.0.1 — and protected by
/// `Authorization: Bearer <admin key>`): registers tenants, users, groups, applications, secrets, certificates and
/// grants at run time, reads the directory back (secret values as hints), rotates signing keys, and sets faults.
/// Changes persist to the state folder.
struct AdminRoutes: Sendable {
    let directory: Directory
    let keys: SigningKeys
    let faults: FaultInjector
    let adminKey: String
    let persist: @Sendable () -> Void

    func register(on router: Router<EmulatorRequestContext>) {
        let admin = router.group("admin")
        admin.get("directory") { request, _ in
            try self.authorized(request) { encodedJSON(redacted(directory.snapshot())) }
        }
        admin.post("tenants") { request, context in
            try await self.mutate(request, context) { (tenant: DirectoryModel.Tenant) in
                try directory.upsert(tenant: tenant)
            }
        }
        admin.post("tenants/:tenant/users") { request, context in
            let tenantName = try context.parameters.require("tenant")
            return try await self.mutate(request, context) { (user: DirectoryModel.User) in
                // Under the directory's lock, as Graph's changes are: neither undoes the other.
                let seeded = try directory.changeTenant(tenantName) { (tenant: inout DirectoryModel.Tenant) in
                    tenant.users.removeAll { $0.id == user.id }
                    tenant.users.append(user)
                }
                guard seeded != nil else { throw HTTPError(.notFound, message: "no tenant \(tenantName)") }
            }
        }
        // A group with its members (users or groups of the tenant, by ID), replacing one with the same ID.
        admin.post("tenants/:tenant/groups") { request, context in
            let tenantName = try context.parameters.require("tenant")
            return try await self.mutate(request, context) { (group: DirectoryModel.Group) in
                let seeded = try directory.changeTenant(tenantName) { (tenant: inout DirectoryModel.Tenant) throws in
                    tenant.groups.removeAll { $0.id.lowercased() == group.id.lowercased() }
                    tenant.groups.append(group)
                    try tenant.checkMembers(of: [group])
                }
                guard seeded != nil else { throw HTTPError(.notFound, message: "no tenant \(tenantName)") }
            }
        }
        admin.post("applications") { request, context in
            try await self.mutate(request, context) { (application: DirectoryModel.Application) in
                try directory.upsert(application: application)
            }
        }
        admin.post("applications/:client/secrets") { request, context in
            let client = try context.parameters.require("client")
            struct NewSecret: Codable {
                var value: String?
                var expires: Date?
            }
            var created = ""
            let response = try await self.mutate(request, context) { (secret: NewSecret) in
                created = secret.value ?? Base64URL.random(byteCount: 30)
                let value = created
                guard
                    try directory.modifyApplication(
                        client,
                        { $0.secrets.append(.init(value: value, expires: secret.expires)) }
                    )
                else {
                    throw HTTPError(.notFound, message: "no application \(client)")
                }
            }
            return response.status == .ok ? encodedJSON(["value": created], status: .created) : response
        }
        admin.post("applications/:client/certificates") { request, context in
            let client = try context.parameters.require("client")
            return try await self.mutate(request, context) { (certificate: DirectoryModel.CertificateReference) in
                guard let pem = certificate.pem else {
                    throw HTTPError(
                        .badRequest,
                        message: "give the certificate as {\"pem\": \"-----BEGIN CERTIFICATE-----…\"}"
                    )
                }
                guard try directory.modifyApplication(client, { $0.certificates.append(.init(pem: pem)) }) else {
                    throw HTTPError(.notFound, message: "no application \(client)")
                }
            }
        }
        admin.post("grants") { request, context in
            try await self.mutate(request, context) { (grant: DirectoryModel.Grant) in directory.add(grant: grant) }
        }
        // CAE: {"client": "<client id>"} revokes the client's sessions now; Graph challenges its older tokens.
        admin.post("cae/revoke") { request, context in
            try await self.mutate(request, context, persisting: false) { (event: RevocationEvent) in
                directory.revokeSessions(client: event.client, at: Date())
            }
        }
        admin.post("keys/rotate") { request, _ in
            try self.check(request)
            try await keys.rotate()
            return encodedJSON(["kid": keys.current.kid])
        }
        admin.get("faults") { request, _ in
            try self.authorized(request) {
                encodedJSON(["faults": faults.current])
            }
        }
        admin.post("faults") { request, context in
            try await self.mutate(request, context, persisting: false) { (fault: Fault) in
                if let status = fault.status, !(100...599).contains(status) {
                    throw HTTPError(.badRequest, message: "a fault's status must be an HTTP status (100…599)")
                }
                faults.add(fault)
            }
        }
        admin.delete("faults") { request, _ in
            try self.authorized(request) {
                faults.set([])
                return encodedJSON(["faults": [Fault]()])
            }
        }
    }

    func check(_ request: Request) throws {
        let presented =
            request.headers[.authorization].map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : "" } ?? ""
        guard ConstantTime.equals(presented, adminKey) else {
            throw HTTPError(
                .unauthorized,
                headers: [.wwwAuthenticate: "Bearer realm=\"tessera-emulator-admin\""],
                message: "the admin API needs 'Authorization: Bearer <adminKey>' (adminKey is in connection.json)"
            )
        }
    }

    func authorized(_ request: Request, _ body: () throws -> Response) throws -> Response {
        try check(request)
        return try body()
    }

    func mutate<Body: Decodable>(
        _ request: Request,
        _ context: EmulatorRequestContext,
        persisting: Bool = true,
        _ apply: (Body) throws -> Void
    ) async throws -> Response {
        try check(request)
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let body: Body
        do {
            body = try decoder.decode(Body.self, from: Data(buffer: buffer))
        } catch {
            throw HTTPError(.badRequest, message: "the body is not a valid \(Body.self): \(error)")
        }
        do {
            try apply(body)
        } catch let error as EmulatorError {
            // The directory refused the change (an empty secret): nothing changed; say which app and what to do.
            throw HTTPError(.badRequest, message: error.description)
        }
        if persisting { persist() }
        return encodedJSON(["ok": true])
    }

    /// The directory with secret values replaced by hints (first three characters), as the Azure portal shows them.
    func redacted(_ model: DirectoryModel) -> DirectoryModel {
        var copy = model
        for index in copy.applications.indices {
            copy.applications[index].secrets = copy.applications[index].secrets.map {
                .init(value: String($0.value.prefix(3)) + "…", expires: $0.expires)
            }
        }
        return copy
    }
}
