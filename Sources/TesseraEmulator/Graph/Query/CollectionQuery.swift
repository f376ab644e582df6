import Foundation

/// The query options of a collection request checked against its resource type, with Graph's rules for advanced
/// queries: `$count=true` and `$search` need `ConsistencyLevel: eventual`; `ne`, `not`, `endsWith`, comparisons with
/// `null`, `$orderby` on another property than `displayName`, and `$filter` with `$orderby` need it and `$count=true`
/// too. Otherwise 400 `Request_UnsupportedQuery`, as Graph answers.
struct CollectionQuery: Sendable {
    /// The properties to answer (`$select`), as the type spells them; `nil` for the default ones.
    let selection: [String]?
    let filter: FilterExpression?
    let search: SearchExpression?
    let order: Ordering?
    /// `$top`: 1…999, default 100.
    let top: Int
    /// Where the page starts (`$skiptoken`, as this API's `@odata.nextLink` sets it).
    let skip: SkipToken
    /// `$count=true`: answer `@odata.count`.
    let count: Bool
    let options: QueryOptions

    /// `$orderby`: one property, ascending unless `desc`.
    struct Ordering: Sendable {
        let property: String
        let descending: Bool
    }

    static let defaultTop = 100
    static let maximumTop = 999

    /// Where a page starts: the ID of its first object — a cursor, so that a batch job changing the objects it has
    /// read (disabling them, deleting them) or objects created meanwhile shift no page — and, when that object is gone,
    /// its position. `<position>.<id>` in `$skiptoken`.
    struct SkipToken: Sendable, Equatable {
        var position: Int
        var id: String?

        static let start = SkipToken(position: 0, id: nil)
        var text: String { "\(position).\(id ?? "")" }
    }

    /// Checks `options` against `Entity`'s properties and Graph's advanced-query rules; `countSegment`: the request is
    /// `…/$count`, which counts (so its advanced queries need `ConsistencyLevel: eventual` but no `$count=true`).
    init<Entity: GraphEntity>(_ options: QueryOptions, for type: Entity.Type, countSegment: Bool = false) throws {
        self.options = options
        selection = try Self.parseSelection(options, for: type)
        let counting: Bool
        switch options[.count]?.lowercased() {
        case nil, "false": counting = false
        case "true": counting = true
        case .some(let value):
            throw GraphError.badRequest(
                "Invalid value '\(GraphError.quoted(value, limit: 20))' for $count: true or false."
            )
        }
        count = counting
        let eventual = options.eventual
        let advanced = eventual && (counting || countSegment)
        if counting, !eventual { throw GraphError.needsEventualConsistency("$count=true", withCount: false) }
        if let text = options[.search] {
            guard eventual else { throw GraphError.needsEventualConsistency("$search", withCount: false) }
            search = try SearchExpression(text, for: type)
        } else {
            search = nil
        }
        var expression: FilterExpression?
        if let text = options[.filter] {
            var parser = try FilterParser(text, for: type)
            expression = try parser.parse()
            if let feature = parser.advancedFeature, !advanced {
                throw GraphError.needsEventualConsistency(feature, withCount: true)
            }
        }
        filter = expression
        let ordering = try options[.orderby].map { try Self.parseOrdering($0, for: type) }
        if let ordering, !advanced {
            if ordering.property != "displayName" {
                throw GraphError.needsEventualConsistency("$orderby on \(ordering.property)", withCount: true)
            }
            if expression != nil { throw GraphError.needsEventualConsistency("$filter with $orderby", withCount: true) }
        }
        order = ordering
        top = try Self.parsePageSize(options[.top])
        skip = try Self.parseSkipToken(options[.skiptoken])
    }

    /// The page of `items` the query names, how many match in all, and where the next page starts (`nil`: last).
    func page<Entity: GraphEntity>(of items: [Entity]) -> (items: [Entity], total: Int, next: SkipToken?) {
        var matching = items.filter { item in
            (self.filter?.matches(item) ?? true) && (self.search?.matches(item) ?? true)
        }
        if let order {
            // Sorted on lowered text, nulls first; equal keys keep the collection's order.
            let keyed = matching.enumerated().map { offset, item in
                (key: item.value(of: order.property)?.textValue?.lowercased(), offset: offset, item: item)
            }
            matching = keyed.sorted { left, right in
                guard left.key != right.key else { return left.offset < right.offset }
                guard let leftKey = left.key else { return !order.descending }
                guard let rightKey = right.key else { return order.descending }
                return order.descending ? leftKey > rightKey : leftKey < rightKey
            }.map { $0.item }
        }
        let total = matching.count
        let resumed = skip.id.flatMap { id in matching.firstIndex { $0.id.lowercased() == id.lowercased() } }
        let start = min(resumed ?? skip.position, total)
        let end = start + min(top, total - start)
        return (
            Array(matching[start..<end]), total, end < total ? SkipToken(position: end, id: matching[end].id) : nil
        )
    }

    static func parseSelection<Entity: GraphEntity>(
        _ options: QueryOptions,
        for type: Entity.Type
    ) throws -> [String]? {
        guard let text = options[.select] else { return nil }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard names.count <= 64 else {
            throw GraphError.badRequest("$select names \(names.count) properties; at most 64.")
        }
        var selection: [String] = []
        for name in names {
            guard !name.isEmpty else { throw GraphError.badRequest("$select has an empty property name.") }
            guard let property = type.propertyInfo(named: name) else {
                throw GraphError.unknownProperty(name, of: type.typeName)
            }
            if !selection.contains(property.name) { selection.append(property.name) }
        }
        return selection
    }

    static func parseOrdering<Entity: GraphEntity>(_ text: String, for type: Entity.Type) throws -> Ordering {
        let keys = text.split(separator: ",")
        guard keys.count == 1, let key = keys.first else {
            throw GraphError.unsupportedQuery(
                "$orderby takes one property here (e.g. displayName or displayName desc)."
            )
        }
        let words = key.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = words.first, words.count <= 2 else {
            throw GraphError.badRequest(
                "Invalid $orderby '\(GraphError.quoted(text, limit: 64))': property [asc|desc]."
            )
        }
        guard let property = type.propertyInfo(named: String(first)) else {
            throw GraphError.unknownProperty(String(first), of: type.typeName)
        }
        guard property.kind == .text else {
            throw GraphError.unsupportedQuery(
                "$orderby on \(property.name) (\(property.kind.edmName)) is not supported."
            )
        }
        let direction = words.count == 2 ? words[1].lowercased() : "asc"
        guard direction == "asc" || direction == "desc" else {
            throw GraphError.badRequest(
                "Invalid $orderby direction '\(GraphError.quoted(direction, limit: 16))': asc or desc."
            )
        }
        return Ordering(property: property.name, descending: direction == "desc")
    }

    static func parsePageSize(_ text: String?) throws -> Int {
        guard let text else { return defaultTop }
        guard let value = Int(text), (1...maximumTop).contains(value) else {
            throw GraphError.unsupportedQuery(
                "Invalid page size specified: '\(GraphError.quoted(text, limit: 20))'. Must be between 1 and "
                    + "\(maximumTop) inclusive."
            )
        }
        return value
    }

    static func parseSkipToken(_ text: String?) throws -> SkipToken {
        guard let text else { return .start }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let position = Int(parts[0]), position >= 0, text.utf8.count <= 200 else {
            throw GraphError.badRequest(
                "The $skiptoken '\(GraphError.quoted(text, limit: 40))' is not one this API issued: follow "
                    + "@odata.nextLink as given."
            )
        }
        let id = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
        return SkipToken(position: position, id: id)
    }
}
