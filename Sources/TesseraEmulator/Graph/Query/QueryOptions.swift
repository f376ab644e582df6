import Foundation

/// The OData system query options of one request as sent (names with or without `$`, percent-decoded), before they
/// are checked against a resource type (``CollectionQuery``), and the `ConsistencyLevel` header. A name given twice,
/// an unknown `$` option, a value over ``maximumLength`` or bad percent-encoding is refused.
struct QueryOptions: Sendable {
    /// The options the API knows (Graph takes them with or without `$`); an unknown name with a `$` is refused, one
    /// without ignored, as Graph does.
    enum Name: String, Sendable, CaseIterable {
        case select, filter, orderby, top, count, search, skiptoken
        case expand, skip, format, apply, compute, levels, index, deltatoken
    }

    /// The options the API serves; the rest of ``Name`` are Graph's but not the emulator's.
    static let served: Set<Name> = [.select, .filter, .orderby, .top, .count, .search, .skiptoken]

    /// The longest value accepted for one option (the `$filter` parser has its own bounds inside it).
    static let maximumLength = 4096

    /// The values given, by option.
    private(set) var values: [Name: String] = [:]
    /// The options in the order sent, `$skiptoken` left out: what `@odata.nextLink` carries on.
    private(set) var carried: [(name: Name, value: String)] = []
    /// Whether the request sent `ConsistencyLevel: eventual` (advanced queries).
    let eventual: Bool

    /// The options of `query` (the raw query string), with the `ConsistencyLevel` header's value.
    init(query: String?, consistencyLevel: String?) throws {
        eventual = consistencyLevel?.trimmingCharacters(in: .whitespaces).lowercased() == "eventual"
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let rawName = parts.first.map(String.init) ?? ""
            // `+` is a space, as Graph's server reads a query (a literal plus is sent as %2B).
            guard let name = rawName.replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                let value = (parts.count > 1 ? String(parts[1]) : "").replacingOccurrences(of: "+", with: " ")
                    .removingPercentEncoding
            else {
                throw GraphError.badEncoding("The query option '\(GraphError.quoted(rawName, limit: 40))'")
            }
            let dollar = name.hasPrefix("$")
            guard let option = Name(rawValue: (dollar ? String(name.dropFirst()) : name).lowercased()) else {
                if dollar {
                    throw GraphError.badRequest(
                        "The query parameter '\(GraphError.quoted(name, limit: 40))' is not supported."
                    )
                }
                continue
            }
            guard Self.served.contains(option) else {
                guard dollar else { continue }  // a parameter of the caller's own, as Graph ignores it
                throw GraphError.unsupportedQuery("The emulator does not support the query option $\(option.rawValue).")
            }
            guard value.utf8.count <= Self.maximumLength else {
                throw GraphError.badRequest(
                    "The value of $\(option.rawValue) is \(value.utf8.count) bytes; the emulator takes at most "
                        + "\(Self.maximumLength)."
                )
            }
            guard values[option] == nil else {
                throw GraphError.badRequest(
                    "Query option '$\(option.rawValue)' was specified more than once, but it must be specified at "
                        + "most once."
                )
            }
            values[option] = value
            if option != .skiptoken { carried.append((option, value)) }
        }
    }

    /// The value of `option`, if given.
    subscript(_ option: Name) -> String? { values[option] }

    /// The query string of the next page: the options as sent, and `$skiptoken`.
    func nextQuery(skip: CollectionQuery.SkipToken) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#%")
        let items = carried.map { option in
            "$\(option.name.rawValue)=" + (option.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }
        let token = skip.text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return (items + ["$skiptoken=\(token)"]).joined(separator: "&")
    }
}
