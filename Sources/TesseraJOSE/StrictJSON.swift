/// An RFC 8259 JSON parser that refuses what lenient parsers quietly accept.
///
/// Swift's `JSONDecoder` keeps the *first* of two duplicate member names and `JSONSerialization` the *last*; a token
/// or a server answer that says two things at once must be rejected instead. Also rejected: trailing data, invalid
/// UTF-8, unescaped control characters, lone surrogates, leading zeros, and nesting deeper than ``maximumDepth``.
///
/// A duplicate member name is found when its object closes, so a document that also breaks a rule later inside that
/// object is refused for the later fault.
public enum StrictJSON {
    /// Nesting bound: no protocol message we read needs more.
    public static let maximumDepth = 32

    /// Why a document was refused, with the byte offset where parsing stopped.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// Which rule the document broke; the raw value is the wording ``description`` uses.
        public enum Reason: String, Sendable {
            /// The input ended inside a value.
            case unexpectedEnd = "unexpected end of input"
            /// A byte that cannot start or continue a value here.
            case unexpectedCharacter = "unexpected character"
            /// An object names a member twice.
            case duplicateMember = "duplicate member name"
            /// A string with a bad escape, an unpaired surrogate, a control character or invalid UTF-8.
            case invalidString = "invalid string"
            /// A number outside JSON's grammar or out of range.
            case invalidNumber = "invalid number"
            /// Arrays and objects nested deeper than ``StrictJSON/maximumDepth``.
            case tooDeep = "nesting too deep"
            /// Bytes after the value (other than whitespace).
            case trailingData = "data after the JSON value"
            /// The document is valid JSON but not an object.
            case notAnObject = "not a JSON object"
        }
        /// What was wrong.
        public let reason: Reason
        /// The byte offset where the fault was found (for a duplicate member, where its name begins).
        public let offset: Int
        /// The reason and the byte offset (e.g. `duplicate member name at byte 12`); never the document's content.
        public var description: String { "\(reason.rawValue) at byte \(offset)" }
    }

    /// Parses any JSON value.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> JSONValue {
        let parsed =
            bytes.withContiguousStorageIfAvailable(parseBuffer) ?? Array(bytes).withUnsafeBufferPointer(parseBuffer)
        return try parsed.get()
    }

    /// Parses a document that must be a JSON object (a JOSE header, claims set, JWKS, or token response).
    public static func parseObject(_ bytes: some Collection<UInt8>) throws(ParseError) -> [String: JSONValue] {
        guard case .object(let members) = try parse(bytes) else { throw ParseError(reason: .notAnObject, offset: 0) }
        return members
    }

    /// The parse over borrowed bytes, its failure as a value (the buffer closures above do not throw typed errors).
    private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, ParseError> {
        Result { () throws(ParseError) in
            var parser = Parser(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw ParseError(reason: .trailingData, offset: parser.index) }
            return value
        }
    }

    /// A single pass over the document's bytes (borrowed for the parse). Objects' members are gathered on one
    /// stack shared by every nesting level, so each object's dictionary is allocated once at its final size.
    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// The members of the objects being parsed, innermost last, with where each name begins.
        var members: [(name: String, value: JSONValue, offset: Int)] = []

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func skipWhitespace() {
            while index < bytes.count,
                bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D
            {
                index += 1
            }
        }

        func fail(_ reason: ParseError.Reason) -> ParseError { ParseError(reason: reason, offset: index) }

        mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(ParseError) -> JSONValue {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail(.unexpectedEnd) }
            for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
                throw fail(.unexpectedCharacter)
            }
            index += count
            return value
        }

        mutating func parseValue(depth: Int) throws(ParseError) -> JSONValue {
            guard depth <= StrictJSON.maximumDepth else { throw fail(.tooDeep) }
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw fail(.unexpectedCharacter)
            }
        }

        mutating func parseObject(depth: Int) throws(ParseError) -> JSONValue {
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object([:])
            }
            let first = members.count
            defer { members.removeSubrange(first...) }
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                guard bytes[index] == UInt8(ascii: "\"") else { throw fail(.unexpectedCharacter) }
                let nameOffset = index
                let name = try parseString()
                skipWhitespace()
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                guard bytes[index] == UInt8(ascii: ":") else { throw fail(.unexpectedCharacter) }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                members.append((name, value, nameOffset))
                skipWhitespace()
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    break
                }
                throw fail(.unexpectedCharacter)
            }
            var object = [String: JSONValue](minimumCapacity: members.count - first)
            for member in members[first...] {
                guard object.updateValue(member.value, forKey: member.name) == nil else {
                    throw ParseError(reason: .duplicateMember, offset: member.offset)
                }
            }
            return .object(object)
        }

        mutating func parseArray(depth: Int) throws(ParseError) -> JSONValue {
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                }
                throw fail(.unexpectedCharacter)
            }
        }

        mutating func parseHex4() throws(ParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail(.unexpectedEnd) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw fail(.invalidString)
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        mutating func parseString() throws(ParseError) -> String {
            index += 1
            var runStart = index
            var runIsASCII = true
            var output = ""
            // An ASCII run is valid UTF-8 as it stands; only a run with other bytes is validated (the generic
            // validating initializer costs a runtime metadata look-up per call).
            func flushRun(_ end: Int) throws(ParseError) {
                guard runStart < end else { return }
                let bytes = UnsafeBufferPointer(rebasing: bytes[runStart..<end])
                let run: String
                if runIsASCII {
                    run = String(decoding: bytes, as: UTF8.self)
                } else {
                    guard let valid = String(validating: bytes, as: UTF8.self) else {
                        throw ParseError(reason: .invalidString, offset: runStart)
                    }
                    run = valid
                }
                if output.isEmpty { output = run } else { output += run }
            }
            while true {
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    try flushRun(index)
                    index += 1
                    return output
                }
                if byte < 0x20 { throw fail(.invalidString) }
                if byte != UInt8(ascii: "\\") {
                    if byte >= 0x80 { runIsASCII = false }
                    index += 1
                    continue
                }
                try flushRun(index)
                runIsASCII = true
                index += 1
                guard index < bytes.count else { throw fail(.unexpectedEnd) }
                let escape = bytes[index]
                index += 1
                let scalar: Unicode.Scalar
                switch escape {
                case UInt8(ascii: "\""): scalar = "\""
                case UInt8(ascii: "\\"): scalar = "\\"
                case UInt8(ascii: "/"): scalar = "/"
                case UInt8(ascii: "b"): scalar = "\u{08}"
                case UInt8(ascii: "f"): scalar = "\u{0C}"
                case UInt8(ascii: "n"): scalar = "\n"
                case UInt8(ascii: "r"): scalar = "\r"
                case UInt8(ascii: "t"): scalar = "\t"
                case UInt8(ascii: "u"):
                    let unit = try parseHex4()
                    if (0xD800...0xDBFF).contains(unit) {
                        guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else { throw fail(.invalidString) }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail(.invalidString) }
                        scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
                    } else if let value = Unicode.Scalar(unit) {
                        scalar = value
                    } else {
                        throw fail(.invalidString)  // a lone low surrogate
                    }
                default: throw fail(.invalidString)
                }
                output.unicodeScalars.append(scalar)
                runStart = index
            }
        }

        mutating func parseNumber() throws(ParseError) -> JSONValue {
            let start = index
            func digits() -> Int {
                let begin = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - begin
            }
            let negative = bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            var integral = true
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if digits() == 0 {
                throw fail(.invalidNumber)
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                integral = false
                guard digits() > 0 else { throw fail(.invalidNumber) }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                integral = false
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits() > 0 else { throw fail(.invalidNumber) }
            }
            // An integer of at most 15 digits is exact in a Double: no text conversion.
            if integral, index - start - (negative ? 1 : 0) <= 15 {
                var magnitude: Int64 = 0
                for byte in bytes[(negative ? start + 1 : start)..<index] {
                    magnitude = magnitude * 10 + Int64(byte - UInt8(ascii: "0"))
                }
                return .number(negative ? -Double(magnitude) : Double(magnitude))
            }
            guard
                let value = Double(
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                ), value.isFinite
            else {
                throw ParseError(reason: .invalidNumber, offset: start)
            }
            return .number(value)
        }
    }
}
