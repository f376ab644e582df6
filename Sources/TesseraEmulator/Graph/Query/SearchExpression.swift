import Foundation

/// A parsed `$search`: quoted `"property:words"` clauses joined by `AND` / `OR` (`AND` binding tighter), as Graph's
/// directory search takes them. A clause matches when each of its words starts a word of the property's value
/// (words split at anything but letters and digits, compared without regard to case), the way Graph's tokenized
/// search finds "Adele Vance" for `"displayName:vanc"`. Bounded: ``maximumClauses`` clauses.
struct SearchExpression: Sendable, Equatable {
    /// One `"property:words"`.
    struct Clause: Sendable, Equatable {
        let property: String
        let words: [String]
    }

    static let maximumClauses = 16

    /// Alternatives (`OR`), each a conjunction (`AND`) of clauses.
    let alternatives: [[Clause]]

    /// Parses `text` against `type`'s searchable properties; throws Graph's 400 for anything else.
    init(_ text: String, for type: any GraphEntity.Type) throws {
        func invalid(_ detail: String) -> GraphError {
            GraphError.badRequest("Invalid $search '\(GraphError.quoted(text))': \(detail).")
        }
        var alternatives: [[Clause]] = [[]]
        var expectingClause = true
        var count = 0
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0.isWhitespace }
            guard let first = rest.first else { break }
            if first == "\"" {
                guard expectingClause else { throw invalid("join clauses with AND or OR") }
                let body = rest.dropFirst()
                guard let end = body.firstIndex(of: "\"") else { throw invalid("a quote is not closed") }
                let clause = try Self.clause(body[..<end], for: type, invalid: invalid)
                alternatives[alternatives.count - 1].append(clause)
                count += 1
                guard count <= Self.maximumClauses else { throw invalid("more than \(Self.maximumClauses) clauses") }
                rest = body[body.index(after: end)...]
                expectingClause = false
                continue
            }
            let word = rest.prefix { !$0.isWhitespace && $0 != "\"" }
            guard !expectingClause, ["and", "or"].contains(word.lowercased()) else {
                throw invalid(
                    "each clause is a quoted \"property:words\", e.g. \"displayName:adele\", joined by AND or OR"
                )
            }
            if word.lowercased() == "or" { alternatives.append([]) }
            rest = rest.dropFirst(word.count)
            expectingClause = true
        }
        guard !expectingClause else { throw invalid("it ends where a clause is expected") }
        self.alternatives = alternatives
    }

    static func clause(
        _ body: Substring,
        for type: any GraphEntity.Type,
        invalid: (String) -> GraphError
    ) throws -> Clause {
        guard let colon = body.firstIndex(of: ":") else {
            throw invalid("a clause names its property: \"property:words\"")
        }
        let name = String(body[..<colon]).trimmingCharacters(in: .whitespaces)
        guard let property = type.propertyInfo(named: name) else {
            throw GraphError.unknownProperty(name, of: type.typeName)
        }
        guard property.kind == .text, property.searchable else {
            throw GraphError.unsupportedQuery("$search does not look in \(property.name).")
        }
        let words = Self.words(of: String(body[body.index(after: colon)...]))
        guard !words.isEmpty else { throw invalid("the clause for \(property.name) has no words") }
        return Clause(property: property.name, words: words)
    }

    /// The lowered words of `text`: runs of letters and digits.
    static func words(of text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// Whether `entity` matches some alternative.
    func matches(_ entity: some GraphEntity) -> Bool {
        alternatives.contains { clauses in
            clauses.allSatisfy { clause in
                let value = Self.words(of: entity.value(of: clause.property)?.textValue ?? "")
                return clause.words.allSatisfy { word in value.contains { $0.hasPrefix(word) } }
            }
        }
    }
}
