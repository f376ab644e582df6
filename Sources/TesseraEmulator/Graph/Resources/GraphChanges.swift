import Foundation

/// The properties a `POST` or `PATCH` body sets on a `Entity`, read through `Codable` key by key against the type's
/// ``GraphTable``: a name the type does not have, a read-only property, a value of the wrong type or `null` where one
/// is needed are refused with Graph's errors; `@odata.type` must name the type if present.
struct GraphChanges<Entity: GraphTableEntity> {
    /// The properties set.
    private(set) var values: [(property: GraphProperty<Entity>, value: GraphValue)] = []

    /// No changes yet.
    init() {}

    /// Reads `key` of a body into the changes. `key` must not be one the caller handles itself.
    mutating func read(_ key: GraphKey, from container: KeyedDecodingContainer<GraphKey>) throws {
        let name = key.stringValue
        if name == "@odata.context" { return }
        if name == "@odata.type" {
            let type = try? container.decode(String.self, forKey: key)
            guard type?.lowercased() == "#microsoft.graph.\(Entity.typeName)".lowercased() else {
                throw GraphError.badRequest(
                    "The body's @odata.type '\(GraphError.quoted(type ?? "?", limit: 64))' is not "
                        + "'#microsoft.graph.\(Entity.typeName)'."
                )
            }
            return
        }
        guard let property = Entity.graphTable.property(named: name) else {
            throw GraphError.undeclaredProperty(name, of: Entity.typeName)
        }
        guard property.write != nil else { throw GraphError.readOnlyProperty(property.name, of: Entity.typeName) }
        let value: GraphValue
        do {
            if try container.decodeNil(forKey: key) {
                value = .null
            } else {
                switch property.info.kind {
                case .text: value = .text(try container.decode(String.self, forKey: key))
                case .flag: value = .flag(try container.decode(Bool.self, forKey: key))
                case .texts: value = .texts(try container.decode([String].self, forKey: key))
                }
            }
        } catch is DecodingError {
            throw Self.invalid(property)
        }
        guard value != .null || property.nullable else { throw Self.invalid(property) }
        values.append((property, value))
    }

    /// Whether the body sets `name` to a value (not `null`, not empty).
    func provides(_ name: String) -> Bool {
        values.contains { $0.property.name == name && !$0.value.isEmpty }
    }

    /// Throws ``GraphError/missingProperty(_:)`` for the first of `required` the body does not provide.
    func require(_ required: [String]) throws {
        if let missing = required.first(where: { !provides($0) }) { throw GraphError.missingProperty(missing) }
    }

    /// `model` with the changes applied.
    func applied(to model: Entity) -> Entity {
        var model = model
        for (property, value) in values { property.write?(&model, value) }
        return model
    }

    static func invalid(_ property: GraphProperty<Entity>) -> GraphError {
        let expected =
            switch property.info.kind {
            case .text: property.nullable ? "text or null" : "text"
            case .flag: "true or false"
            case .texts: "a list of text"
            }
        return GraphError.invalidValue(property.name, of: Entity.typeName, expected: expected)
    }
}
