import Foundation

/// A `$filter` parser for the OData subset Graph's directory objects take: `eq`, `ne`, `in`, `startswith`,
/// `endswith`, `not`, `and`, `or`, parentheses; literals `'text'` (`''` for a quote), `true`, `false`, `null`.
/// Hostile input is refused, never trapped on: the text is read byte by byte with every index checked, and nesting
/// (``maximumDepth``), tokens (``maximumTokens``) and `in` lists (``maximumValues``) are bounded. It notes the first
/// advanced feature it meets (``advancedFeature``) for ``CollectionQuery``'s consistency rules.
struct FilterParser {
    /// Deepest nesting of parentheses and `not`.
    static let maximumDepth = 16
    /// Most tokens (names, literals, punctuation) in one filter.
    static let maximumTokens = 400
    /// Most values in one `in (…)`.
    static let maximumValues = 50

    enum Token: Equatable {
        case word(String)
        case text(String)
        case open, close, comma
    }

    private let source: String
    private let tokens: [Token]
    private let type: any GraphEntity.Type
    private var position = 0
    private var depth = 0
    /// The first advanced-query feature met (`ne`, `not`, `endsWith`, a comparison with `null`), for the message.
    private(set) var advancedFeature: String?

    /// Reads the tokens of `text`, whose properties are `type`'s.
    init(_ text: String, for type: any GraphEntity.Type) throws {
        source = text
        self.type = type
        tokens = try Self.tokens(of: text)
    }

    /// The expression; throws Graph's 400 for a syntax error, an unknown property or function, or mismatched types.
    mutating func parse() throws -> FilterExpression {
        let expression = try parseOr()
        if position < tokens.count { throw syntax("unexpected \(describe(tokens[position])) at the end") }
        return expression
    }

    // MARK: Grammar

    private mutating func parseOr() throws -> FilterExpression {
        var clauses = try [parseAnd()]
        while accept(keyword: "or") { clauses.append(try parseAnd()) }
        return clauses.count == 1 ? clauses[0] : .any(clauses)
    }

    private mutating func parseAnd() throws -> FilterExpression {
        var clauses = try [parseUnary()]
        while accept(keyword: "and") { clauses.append(try parseUnary()) }
        return clauses.count == 1 ? clauses[0] : .all(clauses)
    }

    /// Every nesting passes here, so ``maximumDepth`` bounds the recursion.
    private mutating func parseUnary() throws -> FilterExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw syntax("nested more than \(Self.maximumDepth) levels deep") }
        if accept(keyword: "not") {
            note("The operator 'not'")
            return .not(try parseUnary())
        }
        if accept(.open) {
            let inner = try parseOr()
            try expect(.close, "')' to close '('")
            return inner
        }
        return try parseClause()
    }

    private mutating func parseClause() throws -> FilterExpression {
        guard case .word(let word)? = next() else { throw syntax("expected a property or a function") }
        let lowered = word.lowercased()
        if peek == Token.open { return try parseFunction(lowered) }
        let property = try resolve(word)
        guard case .word(let operation)? = next() else { throw syntax("expected an operator after '\(word)'") }
        switch operation.lowercased() {
        case "eq", "ne":
            let negated = operation.lowercased() == "ne"
            if negated { note("The operator 'ne'") }
            let value = try literal(for: property, operation: negated ? "NotEqual" : "Equal")
            if value == .null { note("A comparison with null") }
            return .equals(property: property.name, value: value, negated: negated)
        case "in":
            try expect(.open, "'(' after 'in'")
            var values = try [literal(for: property, operation: "In")]
            while accept(.comma) {
                values.append(try literal(for: property, operation: "In"))
                guard values.count <= Self.maximumValues else {
                    throw GraphError.unsupportedQuery("'in' takes at most \(Self.maximumValues) values here.")
                }
            }
            try expect(.close, "')' to close the 'in' list")
            return .within(property: property.name, values: values)
        case "gt", "ge", "lt", "le", "has":
            throw GraphError.unsupportedQuery(
                "The operator '\(operation.lowercased())' is not supported on \(property.name) by the emulator."
            )
        default:
            throw syntax("'\(GraphError.quoted(operation, limit: 32))' is not an operator (eq, ne, in)")
        }
    }

    private mutating func parseFunction(_ name: String) throws -> FilterExpression {
        guard name == "startswith" || name == "endswith" else {
            let odata: Set = [
                "contains", "tolower", "toupper", "length", "substring", "indexof", "trim", "concat", "any", "all",
            ]
            guard odata.contains(name) else {
                throw GraphError.badRequest(
                    "An unknown function with name '\(GraphError.quoted(name, limit: 32))' was found."
                )
            }
            throw GraphError.unsupportedQuery("The function '\(name)' is not supported on directory objects.")
        }
        try expect(.open, "'(' after '\(name)'")
        guard case .word(let word)? = next() else { throw syntax("expected a property in \(name)(…)") }
        let property = try resolve(word)
        try expect(.comma, "',' after the property in \(name)(…)")
        guard case .text(let text)? = next() else {
            throw syntax("expected quoted text as the second argument of \(name)")
        }
        try expect(.close, "')' to close \(name)(…)")
        guard property.kind == .text else {
            throw GraphError.badRequest(
                "The function '\(name)' takes text; \(property.name) is \(property.kind.edmName)."
            )
        }
        if name == "endswith" {
            note("The function 'endsWith'")
            return .endsWith(property: property.name, suffix: text)
        }
        return .startsWith(property: property.name, prefix: text)
    }

    /// A literal comparable with `property`: text for text, `true`/`false` for booleans, `null` for either.
    private mutating func literal(for property: GraphPropertyInfo, operation: String) throws -> GraphValue {
        let value: GraphValue
        switch next() {
        case .text(let text)?: value = .text(text)
        case .word(let word)?:
            switch word.lowercased() {
            case "true": value = .flag(true)
            case "false": value = .flag(false)
            case "null": value = .null
            default:
                throw GraphError.badRequest(
                    "'\(GraphError.quoted(word, limit: 40))' is not a literal: quote text ('…'), or use true, false "
                        + "or null."
                )
            }
        case let other: throw syntax("expected a value, found \(other.map { describe($0) } ?? "the end")")
        }
        let matches =
            switch (property.kind, value) {
            case (_, .null), (.text, .text), (.flag, .flag): true
            default: false
            }
        guard property.kind != .texts else {
            throw GraphError.unsupportedQuery("The emulator cannot filter on the collection \(property.name).")
        }
        guard matches else {
            let found = value.flagValue == nil ? "Edm.String" : "Edm.Boolean"
            throw GraphError.badRequest(
                "A binary operator with incompatible types was detected. Found operand types "
                    + "'\(property.kind.edmName)' and '\(found)' for operator kind '\(operation)'."
            )
        }
        return value
    }

    private func resolve(_ name: String) throws -> GraphPropertyInfo {
        guard let property = type.propertyInfo(named: name) else {
            throw GraphError.unknownProperty(name, of: type.typeName)
        }
        return property
    }

    // MARK: Tokens

    private var peek: Token? { position < tokens.count ? tokens[position] : nil }

    private mutating func next() -> Token? {
        guard position < tokens.count else { return nil }
        defer { position += 1 }
        return tokens[position]
    }

    private mutating func accept(_ token: Token) -> Bool {
        guard peek == token else { return false }
        position += 1
        return true
    }

    private mutating func accept(keyword: String) -> Bool {
        guard case .word(let word)? = peek, word.lowercased() == keyword else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ token: Token, _ what: String) throws {
        guard accept(token) else { throw syntax("expected \(what)") }
    }

    private mutating func note(_ feature: String) {
        if advancedFeature == nil { advancedFeature = feature }
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .word(let word): "'\(GraphError.quoted(word, limit: 32))'"
        case .text(let text): "the text '\(GraphError.quoted(text, limit: 32))'"
        case .open: "'('"
        case .close: "')'"
        case .comma: "','"
        }
    }

    private func syntax(_ detail: String) -> GraphError {
        GraphError.badRequest("Invalid filter clause: \(detail) in '\(GraphError.quoted(source))'.")
    }

    /// The tokens of `text`, read byte by byte (names and keywords are ASCII; text literals may hold any UTF-8).
    static func tokens(of text: String) throws -> [Token] {
        let bytes = Array(text.utf8)
        var tokens: [Token] = []
        var index = 0
        func invalid(_ message: String) -> GraphError {
            GraphError.badRequest("Syntax error: \(message) in '\(GraphError.quoted(text))'.")
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
                continue
            case UInt8(ascii: "("): tokens.append(.open)
            case UInt8(ascii: ")"): tokens.append(.close)
            case UInt8(ascii: ","): tokens.append(.comma)
            case UInt8(ascii: "'"):
                let start = index
                var value: [UInt8] = []
                var closed = false
                index += 1
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "'") {
                        if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") {
                            value.append(UInt8(ascii: "'"))
                            index += 2
                            continue
                        }
                        closed = true
                        break
                    }
                    value.append(bytes[index])
                    index += 1
                }
                guard closed else { throw invalid("the text starting at position \(start) is not closed with '") }
                tokens.append(.text(String(decoding: value, as: UTF8.self)))
            default:
                guard isWordByte(byte) else {
                    let shown = byte < 0x80 ? "'\(Character(Unicode.Scalar(byte)))'" : "a non-ASCII character"
                    throw invalid("character \(shown) is not valid at position \(index)")
                }
                let start = index
                while index < bytes.count, isWordByte(bytes[index]) { index += 1 }
                tokens.append(.word(String(decoding: bytes[start..<index], as: UTF8.self)))
                guard tokens.count <= maximumTokens else { throw invalid("more than \(maximumTokens) terms") }
                continue
            }
            index += 1
            guard tokens.count <= maximumTokens else { throw invalid("more than \(maximumTokens) terms") }
        }
        return tokens
    }

    /// Letters, digits and `_ . - /` make up names, keywords and unquoted literals.
    static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"),
            UInt8(ascii: "/"):
            true
        default: false
        }
    }
}
