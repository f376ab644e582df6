import Foundation
import HTTPTypes
import Hummingbird

/// The body of `POST /users` and `PATCH /users/{id}`: the user's properties (``GraphChanges``) and
/// `passwordProfile`, which `POST` needs and the emulator does not keep (no one signs in as a user here).
struct UserBody: Decodable {
    var changes = GraphChanges<DirectoryModel.User>()
    var passwordProfile: PasswordProfile?

    /// Graph's `passwordProfile`; a member it does not have is refused by name (a typo is not "missing").
    struct PasswordProfile: Decodable {
        var password: String?
        var forceChangePasswordNextSignIn: Bool?
        var forceChangePasswordNextSignInWithMfa: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case password, forceChangePasswordNextSignIn, forceChangePasswordNextSignInWithMfa
        }

        init(from decoder: any Decoder) throws {
            let names = try decoder.container(keyedBy: GraphKey.self).allKeys.map(\.stringValue)
            if let unknown = names.first(where: { CodingKeys(rawValue: $0) == nil }) {
                throw GraphError.unknownProperty(unknown, of: "passwordProfile")
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            password = try container.decodeIfPresent(String.self, forKey: .password)
            forceChangePasswordNextSignIn = try container.decodeIfPresent(
                Bool.self,
                forKey: .forceChangePasswordNextSignIn
            )
            forceChangePasswordNextSignInWithMfa = try container.decodeIfPresent(
                Bool.self,
                forKey: .forceChangePasswordNextSignInWithMfa
            )
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: GraphKey.self)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            guard key.stringValue == "passwordProfile" else {
                try changes.read(key, from: container)
                continue
            }
            guard try !container.decodeNil(forKey: key) else { continue }  // null: missing, as Graph says
            do {
                passwordProfile = try container.decode(PasswordProfile.self, forKey: key)
            } catch is DecodingError {
                throw GraphError.invalidValue("passwordProfile", of: "user", expected: #"{"password": "…"}"#)
            }
        }
    }
}

/// `/users`: list, count, create, get by ID or UPN, update, delete, and a user's groups (`memberOf`).
extension GraphAPI {
    func listUsers(_ call: GraphCall) throws -> Response {
        try call.page(try currentTenant(call).users, entitySet: "users")
    }

    func countUsers(_ call: GraphCall) throws -> Response {
        try call.count(try currentTenant(call).users)
    }

    func getUser(_ call: GraphCall) throws -> Response {
        let tenant = try currentTenant(call)
        guard let index = tenant.userIndex(call.key) else { throw GraphError.notFound(call.key) }
        return try call.object(tenant.users[index], entitySet: "users")
    }

    /// `POST /users`: 201 with the user; Graph's required properties, UPN checks (form, verified domain, not taken).
    func createUser(_ call: GraphCall) async throws -> Response {
        let body = try await call.body(UserBody.self)
        try body.changes.require(DirectoryModel.User.requiredOnCreate)
        guard let password = body.passwordProfile?.password, !password.isEmpty else {
            throw GraphError.missingProperty("passwordProfile")
        }
        let draft = DirectoryModel.User(id: UUID().uuidString.lowercased(), displayName: "", userPrincipalName: "")
        let user = body.changes.applied(to: draft)
        let created = try change(call) { (tenant: inout DirectoryModel.Tenant) throws -> DirectoryModel.User in
            try tenant.checkUserPrincipalName(user.userPrincipalName, excluding: nil)
            tenant.users.append(user)
            return user
        }
        return try call.object(created, entitySet: "users", status: .created, selecting: false)
    }

    /// `PATCH /users/{id | userPrincipalName}`: 204; a new UPN is checked as on create.
    func updateUser(_ call: GraphCall) async throws -> Response {
        let body = try await call.body(UserBody.self)
        try change(call) { (tenant: inout DirectoryModel.Tenant) throws -> Void in
            guard let index = tenant.userIndex(call.key) else { throw GraphError.notFound(call.key) }
            let user = body.changes.applied(to: tenant.users[index])
            if user.userPrincipalName.lowercased() != tenant.users[index].userPrincipalName.lowercased() {
                try tenant.checkUserPrincipalName(user.userPrincipalName, excluding: user.id)
            }
            tenant.users[index] = user
        }
        return call.noContent
    }

    /// `DELETE /users/{id | userPrincipalName}`: 204; the user leaves every group.
    func deleteUser(_ call: GraphCall) throws -> Response {
        try change(call) { (tenant: inout DirectoryModel.Tenant) throws -> Void in
            guard let index = tenant.userIndex(call.key) else { throw GraphError.notFound(call.key) }
            let id = tenant.users[index].id
            tenant.users.remove(at: index)
            tenant.removeFromGroups(id)
        }
        return call.noContent
    }

    /// `GET /users/{id}/memberOf`: the groups the user is a direct member of, each with `@odata.type`.
    func listMemberOf(_ call: GraphCall) throws -> Response {
        let tenant = try currentTenant(call)
        guard let index = tenant.userIndex(call.key) else { throw GraphError.notFound(call.key) }
        let groups = tenant.groups(containing: tenant.users[index].id)
        return try call.page(groups, entitySet: "directoryObjects", annotated: true)
    }
}
