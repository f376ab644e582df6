import Foundation

/// The application permissions (app roles in the token's `roles`) a Graph operation accepts: any one of them lets the
/// call through; a token with none is answered 403 `Authorization_RequestDenied`, as Graph answers it.
struct GraphPermission: Sendable, Equatable {
    /// The roles accepted, any one sufficing.
    let accepted: Set<String>

    /// Throws ``GraphError/denied`` unless `roles` holds one of ``accepted``.
    func check(_ roles: Set<String>) throws {
        guard !roles.isDisjoint(with: accepted) else { throw GraphError.denied }
    }

    /// Reading users: `GET /users`, `/users/{id}`, `/users/$count`.
    static let readUsers = GraphPermission(accepted: [
        "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All",
    ])
    /// Writing users: `POST /users`, `PATCH` and `DELETE /users/{id}`.
    static let writeUsers = GraphPermission(accepted: ["User.ReadWrite.All", "Directory.ReadWrite.All"])
    /// Reading groups and memberships: `GET /groups…`, `/groups/{id}/members`, `/users/{id}/memberOf`.
    static let readGroups = GraphPermission(accepted: [
        "GroupMember.Read.All", "Group.Read.All", "Directory.Read.All",
        "GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All",
    ])
    /// Creating groups: `POST /groups`.
    static let createGroups = GraphPermission(accepted: [
        "Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All",
    ])
    /// Changing and deleting groups: `PATCH` and `DELETE /groups/{id}`.
    static let writeGroups = GraphPermission(accepted: ["Group.ReadWrite.All", "Directory.ReadWrite.All"])
    /// Adding and removing members: `POST /groups/{id}/members/$ref`, `DELETE /groups/{id}/members/{id}/$ref`.
    static let writeMembers = GraphPermission(accepted: [
        "GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All",
    ])
}

extension GraphOperation {
    /// The permission table: what each operation accepts.
    var permission: GraphPermission {
        switch self {
        case .listUsers, .countUsers, .getUser: .readUsers
        case .createUser, .updateUser, .deleteUser: .writeUsers
        case .listGroups, .countGroups, .getGroup, .listMembers, .listMemberOf: .readGroups
        case .createGroup: .createGroups
        case .updateGroup, .deleteGroup: .writeGroups
        case .addMember, .removeMember: .writeMembers
        }
    }
}
