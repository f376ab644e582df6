/// A JSON value as parsed by ``StrictJSON``: every object is known to be free of duplicate member names.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number (integers included; JSON has one number type).
    case number(Double)
    /// A string.
    case string(String)
    /// An array, in order.
    case array([JSONValue])
    /// An object: its members by name.
    case object([String: JSONValue])

    /// The member `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number when this is a number.
    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The value as an integer when it is a number with no fractional part.
    public var integerValue: Int64? {
        if case .number(let value) = self, value.rounded(.towardZero) == value, abs(value) < 9.0e15 {
            return Int64(value)
        }
        return nil
    }

    /// The Boolean when this is a Boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The members when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}

extension JSONValue: Codable {
    /// Decodes null, a Boolean, a number, a string, an array or an object, tried in that order (no duplicate-member
    /// check of its own: use ``StrictJSON`` for that).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value; a number with no fractional part (magnitude under 9e15) is written as an integer.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number:
            // Integral numbers are written without a fraction: some servers (Glewlwyd) reject `1.7e9`-style times.
            if let integer = integerValue { try container.encode(integer) } else { try container.encode(doubleValue!) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    /// The literal as a `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// The literal as a `.number`.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// The literal as a `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
