import Foundation

/// A property value as Graph's JSON carries it: text, a boolean, a list of text, or `null`.
enum GraphValue: Sendable, Equatable, Encodable {
    case text(String)
    case flag(Bool)
    case texts([String])
    case null

    /// `.text`, or `.null` for `nil`.
    init(text: String?) { self = text.map(GraphValue.text) ?? .null }
    /// `.flag`, or `.null` for `nil`.
    init(flag: Bool?) { self = flag.map(GraphValue.flag) ?? .null }
    /// `.texts`, or `.null` for `nil`.
    init(texts: [String]?) { self = texts.map(GraphValue.texts) ?? .null }

    /// The text, if this is text.
    var textValue: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// The boolean, if this is one.
    var flagValue: Bool? {
        if case .flag(let value) = self { return value }
        return nil
    }

    /// The list of text, if this is one.
    var textsValue: [String]? {
        if case .texts(let value) = self { return value }
        return nil
    }

    /// `null`, or empty text or list: what a required property may not be.
    var isEmpty: Bool {
        switch self {
        case .null: true
        case .text(let value): value.isEmpty
        case .texts(let value): value.isEmpty
        case .flag: false
        }
    }

    /// Equality as Graph's `$filter` compares: text without regard to case.
    func sameAs(_ other: GraphValue) -> Bool {
        switch (self, other) {
        case (.text(let left), .text(let right)): left.lowercased() == right.lowercased()
        default: self == other
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let value): try container.encode(value)
        case .flag(let value): try container.encode(value)
        case .texts(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

/// The type of a property, as Graph's schema (EDM) names it.
enum GraphKind: Sendable, Equatable {
    case text, flag, texts

    /// The EDM type name, for messages.
    var edmName: String {
        switch self {
        case .text: "Edm.String"
        case .flag: "Edm.Boolean"
        case .texts: "Collection(Edm.String)"
        }
    }
}

/// What a query needs to know of a property: its name as Graph spells it, its type, and whether `$search` looks in it.
struct GraphPropertyInfo: Sendable, Equatable {
    let name: String
    let kind: GraphKind
    let searchable: Bool
}

/// One property of a Graph resource whose record is `Model`: its name and type, whether it is answered without
/// `$select`, how it is read, and (unless read-only) how a `POST` or `PATCH` sets it. Each property of a resource is
/// described once, in its ``GraphTable``; `$select`, `$filter`, `$orderby`, `$search` and request bodies all use it.
struct GraphProperty<Model: Sendable>: Sendable {
    let info: GraphPropertyInfo
    /// Answered without `$select`.
    let isDefault: Bool
    /// Whether a request body may set it to `null`.
    let nullable: Bool
    let read: @Sendable (Model) -> GraphValue
    /// `nil`: read-only.
    let write: (@Sendable (inout Model, GraphValue) -> Void)?

    var name: String { info.name }

    /// A text property.
    static func text(
        _ name: String,
        default isDefault: Bool = true,
        nullable: Bool = true,
        searchable: Bool = true,
        read: @escaping @Sendable (Model) -> String?,
        write: (@Sendable (inout Model, String?) -> Void)?
    ) -> Self {
        let setter: (@Sendable (inout Model, GraphValue) -> Void)?
        if let write { setter = { model, value in write(&model, value.textValue) } } else { setter = nil }
        return GraphProperty(
            info: GraphPropertyInfo(name: name, kind: .text, searchable: searchable),
            isDefault: isDefault,
            nullable: nullable,
            read: { GraphValue(text: read($0)) },
            write: setter
        )
    }

    /// A boolean property.
    static func flag(
        _ name: String,
        default isDefault: Bool = true,
        nullable: Bool = false,
        read: @escaping @Sendable (Model) -> Bool?,
        write: (@Sendable (inout Model, Bool?) -> Void)?
    ) -> Self {
        let setter: (@Sendable (inout Model, GraphValue) -> Void)?
        if let write { setter = { model, value in write(&model, value.flagValue) } } else { setter = nil }
        return GraphProperty(
            info: GraphPropertyInfo(name: name, kind: .flag, searchable: false),
            isDefault: isDefault,
            nullable: nullable,
            read: { GraphValue(flag: read($0)) },
            write: setter
        )
    }

    /// A list-of-text property.
    static func texts(
        _ name: String,
        default isDefault: Bool = true,
        read: @escaping @Sendable (Model) -> [String]?,
        write: (@Sendable (inout Model, [String]?) -> Void)?
    ) -> Self {
        let setter: (@Sendable (inout Model, GraphValue) -> Void)?
        if let write { setter = { model, value in write(&model, value.textsValue) } } else { setter = nil }
        return GraphProperty(
            info: GraphPropertyInfo(name: name, kind: .texts, searchable: false),
            isDefault: isDefault,
            nullable: true,
            read: { GraphValue(texts: read($0)) },
            write: setter
        )
    }
}

/// A resource type's properties, looked up by name without regard to case.
struct GraphTable<Model: Sendable>: Sendable {
    let properties: [GraphProperty<Model>]
    /// The names answered without `$select`, in the table's order.
    let defaultNames: [String]
    private let index: [String: Int]

    init(_ properties: [GraphProperty<Model>]) {
        self.properties = properties
        defaultNames = properties.filter(\.isDefault).map(\.name)
        var index: [String: Int] = [:]
        for (offset, property) in properties.enumerated() where index[property.name.lowercased()] == nil {
            index[property.name.lowercased()] = offset
        }
        self.index = index
    }

    /// The property called `name` (any case).
    func property(named name: String) -> GraphProperty<Model>? {
        index[name.lowercased()].map { properties[$0] }
    }
}
