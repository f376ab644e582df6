import Foundation
import HTTPTypes
import Hummingbird

/// The body of `POST /groups` and `PATCH /groups/{id}`: the group's properties (``GraphChanges``) and
/// `members@odata.bind`, references to members to add.
struct GroupBody: Decodable {
    var changes = GraphChanges<DirectoryModel.Group>()
    var memberReferences: [String] = []

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: GraphKey.self)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            guard key.stringValue == "members@odata.bind" else {
                try changes.read(key, from: container)
                continue
            }
            do {
                memberReferences = try container.decode([String].self, forKey: key)
            } catch is DecodingError {
                throw GraphError.badRequest("members@odata.bind is a list of directory object URLs.")
            }
        }
    }
}

/// The body of `POST /groups/{id}/members/$ref`:
/// `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}`.
struct MemberReference: Decodable {
    let odataID: String

    enum CodingKeys: String, CodingKey {
        case odataID = "@odata.id"
    }

    /// The most references one request may add (Graph's limit for `members@odata.bind`).
    static let maximumPerRequest = 20

    /// The object ID a reference URL names: its last path segment after `directoryObjects`, `users` or `groups`
    /// (percent-decoded; any host, as Graph's SDKs send Graph's own).
    static func objectID(_ reference: String) throws -> String {
        let segments = URLComponents(string: reference)?.percentEncodedPath.split(separator: "/") ?? []
        guard segments.count >= 2, let id = segments[segments.count - 1].removingPercentEncoding, !id.isEmpty,
            ["directoryobjects", "users", "groups"].contains(segments[segments.count - 2].lowercased())
        else {
            throw GraphError.badRequest(
                "Invalid URL format specified in @odata.id '\(GraphError.quoted(reference, limit: 80))': give "
                    + "https://graph.microsoft.com/v1.0/directoryObjects/{id}."
            )
        }
        return id
    }
}

/// `/groups`: list, count, create, get, update, delete; members listed, added and removed by reference.
extension GraphAPI {
    func listGroups(_ call: GraphCall) throws -> Response {
        try call.page(try currentTenant(call).groups, entitySet: "groups")
    }

    func countGroups(_ call: GraphCall) throws -> Response {
        try call.count(try currentTenant(call).groups)
    }

    func getGroup(_ call: GraphCall) throws -> Response {
        let tenant = try currentTenant(call)
        guard let index = tenant.groupIndex(call.key) else { throw GraphError.notFound(call.key) }
        return try call.object(tenant.groups[index], entitySet: "groups")
    }

    /// `POST /groups`: 201 with the group; Graph's required properties; `members@odata.bind` adds members.
    func createGroup(_ call: GraphCall) async throws -> Response {
        let body = try await call.body(GroupBody.self)
        try body.changes.require(DirectoryModel.Group.requiredOnCreate)
        let references = try Self.memberIDs(body.memberReferences)
        let draft = DirectoryModel.Group(id: UUID().uuidString.lowercased(), displayName: "")
        let group = body.changes.applied(to: draft)
        let created = try change(call) { (tenant: inout DirectoryModel.Tenant) throws -> DirectoryModel.Group in
            let index = tenant.groups.count
            tenant.groups.append(group)
            try Self.add(references, to: index, in: &tenant)
            return tenant.groups[index]
        }
        return try call.object(created, entitySet: "groups", status: .created, selecting: false)
    }

    /// `PATCH /groups/{id}`: 204; `members@odata.bind` adds members.
    func updateGroup(_ call: GraphCall) async throws -> Response {
        let body = try await call.body(GroupBody.self)
        let references = try Self.memberIDs(body.memberReferences)
        try change(call) { (tenant: inout DirectoryModel.Tenant) throws -> Void in
            guard let index = tenant.groupIndex(call.key) else { throw GraphError.notFound(call.key) }
            tenant.groups[index] = body.changes.applied(to: tenant.groups[index])
            try Self.add(references, to: index, in: &tenant)
        }
        return call.noContent
    }

    /// `DELETE /groups/{id}`: 204; the group leaves the groups it was a member of.
    func deleteGroup(_ call: GraphCall) throws -> Response {
        try change(call) { (tenant: inout DirectoryModel.Tenant) throws -> Void in
            guard let index = tenant.groupIndex(call.key) else { throw GraphError.notFound(call.key) }
            let id = tenant.groups[index].id
            tenant.groups.remove(at: index)
            tenant.removeFromGroups(id)
        }
        return call.noContent
    }

    /// `GET /groups/{id}/members`: the direct members, users and groups, each with `@odata.type`.
    func listMembers(_ call: GraphCall) throws -> Response {
        let tenant = try currentTenant(call)
        guard let index = tenant.groupIndex(call.key) else { throw GraphError.notFound(call.key) }
        let members = tenant.groups[index].members.compactMap { id -> DirectoryObject? in
            let lowered = id.lowercased()
            if let user = tenant.users.first(where: { $0.id.lowercased() == lowered }) { return .user(user) }
            return tenant.groups.first(where: { $0.id.lowercased() == lowered }).map { DirectoryObject.group($0) }
        }
        return try call.page(members, entitySet: "directoryObjects", annotated: true)
    }

    /// `POST /groups/{id}/members/$ref`: 204; 400 when already a member, 404 for an unknown group or object.
    func addMember(_ call: GraphCall) async throws -> Response {
        let reference = try await call.body(MemberReference.self)
        let id = try MemberReference.objectID(reference.odataID)
        try change(call) { (tenant: inout DirectoryModel.Tenant) throws -> Void in
            guard let index = tenant.groupIndex(call.key) else { throw GraphError.notFound(call.key) }
            try Self.add([id], to: index, in: &tenant)
        }
        return call.noContent
    }

    /// `DELETE /groups/{id}/members/{member}/$ref`: 204; 404 when the group is unknown or `member` is not in it.
    func removeMember(_ call: GraphCall) throws -> Response {
        try change(call) { (tenant: inout DirectoryModel.Tenant) throws -> Void in
            guard let index = tenant.groupIndex(call.key) else { throw GraphError.notFound(call.key) }
            let member = call.memberKey.lowercased()
            guard tenant.groups[index].members.contains(where: { $0.lowercased() == member }) else {
                throw GraphError.notFound(call.memberKey)
            }
            tenant.groups[index].members.removeAll { $0.lowercased() == member }
        }
        return call.noContent
    }

    /// The object IDs of `references` (`members@odata.bind`), at most ``MemberReference/maximumPerRequest``.
    static func memberIDs(_ references: [String]) throws -> [String] {
        guard references.count <= MemberReference.maximumPerRequest else {
            throw GraphError.refused(
                "members@odata.bind adds at most \(MemberReference.maximumPerRequest) members in one request; "
                    + "add the others with POST /groups/{id}/members/$ref."
            )
        }
        return try references.map(MemberReference.objectID)
    }

    /// Adds the objects `ids` (users or groups of `tenant`) to the group at `index`, as they are spelled in the
    /// directory; throws for an unknown object, the group itself, or one already a member (Graph's words).
    static func add(_ ids: [String], to index: Int, in tenant: inout DirectoryModel.Tenant) throws {
        for id in ids {
            let lowered = id.lowercased()
            let object =
                tenant.users.first(where: { $0.id.lowercased() == lowered })?.id
                ?? tenant.groups.first(where: { $0.id.lowercased() == lowered })?.id
            guard let object else { throw GraphError.notFound(id) }
            guard lowered != tenant.groups[index].id.lowercased() else {
                throw GraphError.refused("A group cannot be a member of itself.")
            }
            guard !tenant.groups[index].members.contains(where: { $0.lowercased() == lowered }) else {
                throw GraphError.refused(
                    "One or more added object references already exist for the following modified properties: "
                        + "'members'."
                )
            }
            tenant.groups[index].members.append(object)
        }
    }
}
