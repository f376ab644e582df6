import Foundation
import HTTPTypes

/// What one Graph request does.
enum GraphOperation: Sendable, CaseIterable {
    case listUsers, countUsers, createUser, getUser, updateUser, deleteUser, listMemberOf
    case listGroups, countGroups, createGroup, getGroup, updateGroup, deleteGroup
    case listMembers, addMember, removeMember
}

/// The Graph-like API's paths under `/v1.0`, matched segment by segment (percent-decoded, names without regard to
/// case): a segment no path has is 400 `BadRequest` ("Resource not found for the segment …"), a path without the
/// request's method is 405 with `Allow`, as Graph answers them.
enum GraphRouteTable {
    /// One segment of a path: a fixed name, or a key (an ID, or a user's UPN).
    enum Segment: Sendable, Equatable, ExpressibleByStringLiteral {
        case name(String)
        case key

        init(stringLiteral value: String) { self = .name(value.lowercased()) }
    }

    /// A path and the operation of each method it takes.
    struct Route: Sendable {
        let pattern: [Segment]
        let operations: [HTTPRequest.Method: GraphOperation]
    }

    /// What a request's path names: the route, and its keys in order.
    struct Match: Sendable {
        let route: Route
        let keys: [String]
    }

    static let routes: [Route] = [
        Route(pattern: ["users"], operations: [.get: .listUsers, .post: .createUser]),
        Route(pattern: ["users", "$count"], operations: [.get: .countUsers]),
        Route(pattern: ["users", .key], operations: [.get: .getUser, .patch: .updateUser, .delete: .deleteUser]),
        Route(pattern: ["users", .key, "memberOf"], operations: [.get: .listMemberOf]),
        Route(pattern: ["groups"], operations: [.get: .listGroups, .post: .createGroup]),
        Route(pattern: ["groups", "$count"], operations: [.get: .countGroups]),
        Route(pattern: ["groups", .key], operations: [.get: .getGroup, .patch: .updateGroup, .delete: .deleteGroup]),
        Route(pattern: ["groups", .key, "members"], operations: [.get: .listMembers]),
        Route(pattern: ["groups", .key, "members", "$ref"], operations: [.post: .addMember]),
        Route(pattern: ["groups", .key, "members", .key, "$ref"], operations: [.delete: .removeMember]),
    ]

    /// The most segments a path may have before it is refused unread (no route has more than five).
    static let maximumSegments = 16

    /// The percent-decoded segments after `/v1.0` of `path` (the request's path as sent). Throws for a segment that is
    /// not valid percent-encoding (`%` followed by anything but two hex digits, or bytes that are not UTF-8).
    static func segments(of path: String) throws -> [String] {
        let raw = path.split(separator: "/", omittingEmptySubsequences: true).dropFirst()  // "v1.0"
        var segments: [String] = []
        for segment in raw.prefix(maximumSegments + 1) {
            guard let decoded = segment.removingPercentEncoding else {
                throw GraphError.badEncoding("The path segment '\(GraphError.quoted(String(segment)))'")
            }
            segments.append(decoded)
        }
        return segments
    }

    /// The route `segments` name, its keys, and the operation for `method`; throws Graph's 400 for a segment that
    /// names nothing and 405 for a method the path does not take.
    static func resolve(_ segments: [String], method: HTTPRequest.Method) throws -> (GraphOperation, keys: [String]) {
        let match = try self.match(segments)
        guard let operation = match.route.operations[method] else {
            throw GraphError.methodNotAllowed(method, allowed: Array(match.route.operations.keys))
        }
        return (operation, match.keys)
    }

    /// The route `segments` name; a fixed name is preferred to a key where both fit (`users/$count`).
    static func match(_ segments: [String]) throws -> Match {
        guard let last = segments.last else { throw GraphError.unknownSegment("v1.0") }
        var candidates = routes
        for (index, segment) in segments.enumerated() {
            let name = Segment.name(segment.lowercased())
            let named = candidates.filter { index < $0.pattern.count && $0.pattern[index] == name }
            let keyed = candidates.filter { index < $0.pattern.count && $0.pattern[index] == .key }
            candidates = named.isEmpty ? keyed : named
            guard !candidates.isEmpty else { throw GraphError.unknownSegment(segment) }
        }
        guard let route = candidates.first(where: { $0.pattern.count == segments.count }) else {
            throw GraphError.unknownSegment(last)
        }
        let keys = zip(route.pattern, segments).compactMap { segment, value in segment == .key ? value : nil }
        return Match(route: route, keys: keys)
    }
}
