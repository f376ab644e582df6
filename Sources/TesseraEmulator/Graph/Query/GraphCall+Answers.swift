import Foundation
import HTTPTypes
import Hummingbird

/// How the operations answer: a collection page, a `$count`, one object, each a typed `ResponseEncodable`.
extension GraphCall {
    /// A page of `items` as the request's query options name it; `entitySet` names the collection in
    /// `@odata.context` (`users`, `directoryObjects`); `annotated` adds each entry's `@odata.type`.
    func page<Entity: GraphEntity>(_ items: [Entity], entitySet: String, annotated: Bool = false) throws -> Response {
        let options = try queryOptions()
        let query = try CollectionQuery(options, for: Entity.self)
        let (page, total, next) = query.page(of: items)
        let selection = query.selection
        let selected = selection.map { "(" + $0.joined(separator: ",") + ")" } ?? ""
        return try answer(
            GraphPageAnswer(
                context: "\(base)/v1.0/$metadata#\(entitySet)\(selected)",
                count: query.count ? total : nil,
                value: page.map { GraphObject(entity: $0, selection: selection, annotated: annotated) },
                nextLink: next.map { "\(base)\(request.uri.path)?\(options.nextQuery(skip: $0))" }
            )
        )
    }

    /// The `$count` segment: how many of `items` match, as text; an advanced query (`ConsistencyLevel: eventual`).
    func count<Entity: GraphEntity>(_ items: [Entity]) throws -> Response {
        let options = try queryOptions()
        guard options.eventual else {
            throw GraphError.needsEventualConsistency("The $count segment", withCount: false)
        }
        let query = try CollectionQuery(options, for: Entity.self, countSegment: true)
        return try answer("\(query.page(of: items).total)")
    }

    /// One object with `$select` applied (unless `selecting` is off: a created object is answered whole).
    func object<Entity: GraphEntity>(
        _ entity: Entity,
        entitySet: String,
        status: HTTPResponse.Status = .ok,
        selecting: Bool = true
    ) throws -> Response {
        var selection: [String]?
        if selecting { selection = try CollectionQuery.parseSelection(queryOptions(), for: Entity.self) }
        return try answer(
            GraphEntityAnswer(
                context: "\(base)/v1.0/$metadata#\(entitySet)/$entity",
                object: GraphObject(entity: entity, selection: selection, annotated: false)
            ),
            status: status
        )
    }
}
