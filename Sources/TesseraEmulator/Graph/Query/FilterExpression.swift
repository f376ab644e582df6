import Foundation

/// A parsed `$filter`: the OData subset Graph's directory objects take. Text compares without regard to case, as
/// Graph compares it; a property an object's type lacks compares as `null`.
indirect enum FilterExpression: Sendable, Equatable {
    /// Every clause holds (`and`).
    case all([FilterExpression])
    /// Some clause holds (`or`).
    case any([FilterExpression])
    /// `not (…)`.
    case not(FilterExpression)
    /// `property eq value`, or `ne` when `negated`.
    case equals(property: String, value: GraphValue, negated: Bool)
    /// `property in (value, …)`.
    case within(property: String, values: [GraphValue])
    /// `startswith(property, 'text')`.
    case startsWith(property: String, prefix: String)
    /// `endswith(property, 'text')`.
    case endsWith(property: String, suffix: String)

    /// Whether `entity` satisfies the filter.
    func matches(_ entity: some GraphEntity) -> Bool {
        switch self {
        case .all(let clauses): return clauses.allSatisfy { $0.matches(entity) }
        case .any(let clauses): return clauses.contains { $0.matches(entity) }
        case .not(let clause): return !clause.matches(entity)
        case .equals(let property, let value, let negated):
            return value.sameAs(entity.value(of: property) ?? .null) != negated
        case .within(let property, let values):
            let actual = entity.value(of: property) ?? .null
            return values.contains { $0.sameAs(actual) }
        case .startsWith(let property, let prefix):
            guard let text = entity.value(of: property)?.textValue else { return false }
            return text.lowercased().hasPrefix(prefix.lowercased())
        case .endsWith(let property, let suffix):
            guard let text = entity.value(of: property)?.textValue else { return false }
            return text.lowercased().hasSuffix(suffix.lowercased())
        }
    }
}
