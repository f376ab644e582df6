import Foundation

/// A group as Graph's `microsoft.graph.group`: the properties served, read and written once here (members are a
/// relationship: `/groups/{id}/members`).
extension DirectoryModel.Group: GraphTableEntity {
    static let typeName = "group"

    static let requiredOnCreate = ["displayName", "mailEnabled", "mailNickname", "securityEnabled"]

    static let graphTable = GraphTable<DirectoryModel.Group>([
        .text("id", searchable: false, read: { $0.id }, write: nil),
        .text("description", read: { $0.description }, write: { $0.description = $1 }),
        .text("displayName", nullable: false, read: { $0.displayName }, write: { $0.displayName = $1 ?? "" }),
        .texts("groupTypes", read: { $0.groupTypes }, write: { $0.groupTypes = $1 ?? [] }),
        .text("mail", read: { $0.mail }, write: nil),
        .flag("mailEnabled", read: { $0.mailEnabled }, write: { $0.mailEnabled = $1 ?? false }),
        .text("mailNickname", read: { $0.mailNickname }, write: { $0.mailNickname = $1 }),
        .flag("securityEnabled", read: { $0.securityEnabled }, write: { $0.securityEnabled = $1 ?? true }),
    ])
}
