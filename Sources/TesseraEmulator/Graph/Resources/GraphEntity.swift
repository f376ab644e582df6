import Foundation
import Hummingbird

/// A Graph resource type the API serves (users, groups, and the directory objects a membership lists): what
/// `$select`, `$filter`, `$orderby` and `$search` look up, and how one is encoded.
protocol GraphEntity: Sendable {
    /// The type's name in Graph's schema, e.g. `user` (`microsoft.graph.user`).
    static var typeName: String { get }
    /// The property named `name` (any case) the type has.
    static func propertyInfo(named name: String) -> GraphPropertyInfo?
    /// The object ID.
    var id: String { get }
    /// This object's type as `@odata.type` names it, e.g. `#microsoft.graph.user`.
    var odataType: String { get }
    /// The properties answered without `$select`.
    var defaultProperties: [String] { get }
    /// The value of the property `name` (as ``propertyInfo(named:)`` spells it), or `nil` when this object's type has
    /// no such property.
    func value(of name: String) -> GraphValue?
}

/// A resource type described by a ``GraphTable`` of its properties.
protocol GraphTableEntity: GraphEntity {
    /// Its properties.
    static var graphTable: GraphTable<Self> { get }
    /// The properties `POST` needs (a user's `passwordProfile` is checked apart).
    static var requiredOnCreate: [String] { get }
}

extension GraphTableEntity {
    static func propertyInfo(named name: String) -> GraphPropertyInfo? { graphTable.property(named: name)?.info }
    var odataType: String { "#microsoft.graph." + Self.typeName }
    var defaultProperties: [String] { Self.graphTable.defaultNames }
    func value(of name: String) -> GraphValue? { Self.graphTable.property(named: name)?.read(self) }
}

/// A member of a group, or what a membership lists: a user or a group. Its properties are those of either type; each
/// object answers those its own type has.
enum DirectoryObject: GraphEntity {
    case user(DirectoryModel.User)
    case group(DirectoryModel.Group)

    static let typeName = "directoryObject"

    static func propertyInfo(named name: String) -> GraphPropertyInfo? {
        DirectoryModel.User.propertyInfo(named: name) ?? DirectoryModel.Group.propertyInfo(named: name)
    }

    /// The user or group.
    var object: any GraphEntity {
        switch self {
        case .user(let user): user
        case .group(let group): group
        }
    }

    var id: String { object.id }
    var odataType: String { object.odataType }
    var defaultProperties: [String] { object.defaultProperties }
    func value(of name: String) -> GraphValue? { object.value(of: name) }
}

/// A coding key spelled at run time: a property name, or an OData annotation such as `@odata.type`.
struct GraphKey: CodingKey, Hashable {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension GraphEntity {
    /// Encodes the `selection` (else the default properties) that this object's type has into `container`, with
    /// `@odata.type` first when `annotated` (members and memberships, whose entries may be of either type).
    func encode(
        into container: inout KeyedEncodingContainer<GraphKey>,
        selecting selection: [String]?,
        annotated: Bool
    ) throws {
        if annotated { try container.encode(odataType, forKey: GraphKey("@odata.type")) }
        for name in selection ?? defaultProperties {
            guard let found = value(of: name) else { continue }
            try container.encode(found, forKey: GraphKey(name))
        }
    }
}

/// One object as an answer carries it: its selected properties, `@odata.type` when annotated.
struct GraphObject<Entity: GraphEntity>: Encodable, Sendable {
    let entity: Entity
    let selection: [String]?
    let annotated: Bool

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: GraphKey.self)
        try entity.encode(into: &container, selecting: selection, annotated: annotated)
    }
}

/// A single object's answer: `@odata.context` and its properties.
struct GraphEntityAnswer<Entity: GraphEntity>: ResponseEncodable, Sendable {
    /// `{base}/v1.0/$metadata#users/$entity`.
    let context: String
    let object: GraphObject<Entity>

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: GraphKey.self)
        try container.encode(context, forKey: GraphKey("@odata.context"))
        try object.entity.encode(into: &container, selecting: object.selection, annotated: object.annotated)
    }
}

/// A page of a collection: `@odata.context`, `@odata.count` (with `$count=true`), `value`, and `@odata.nextLink`
/// while more follow.
struct GraphPageAnswer<Entity: GraphEntity>: ResponseEncodable, Sendable {
    let context: String
    let count: Int?
    let value: [GraphObject<Entity>]
    let nextLink: String?

    enum CodingKeys: String, CodingKey {
        case context = "@odata.context"
        case count = "@odata.count"
        case value
        case nextLink = "@odata.nextLink"
    }
}
