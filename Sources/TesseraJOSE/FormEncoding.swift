import Foundation

/// `application/x-www-form-urlencoded` (WHATWG URL §5.2): every byte but `*-._` and alphanumerics is percent-encoded,
/// space as `+`; decoding turns `+` back into a space.
package enum FormEncoding {
    package static func encode(_ fields: [(name: String, value: String)]) -> String {
        fields.map { "\(component($0.name))=\(component($0.value))" }.joined(separator: "&")
    }

    package static func component(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Why a form body cannot be read: the field and what is wrong with it.
    package struct DecodingError: Error, CustomStringConvertible {
        /// The field's name as far as it could be read (`nil` when the name itself is malformed).
        package let field: String?
        /// What is wrong, as a sentence fragment: "has a malformed percent-escape (%ZZ)".
        package let reason: String

        package var description: String {
            "the form field \(field.map { "'\($0)'" } ?? "name") \(reason): send it form-encoded (RFC 6749 appendix B)"
        }
    }

    /// Decodes a form body (or a URL query). A malformed escape (`%ZZ`, `%4`), bytes that are not UTF-8 once decoded,
    /// and a name given twice (RFC 6749 §3.1: parameters must not be repeated) are errors, never an empty or a
    /// last-wins value. Empty pairs (`a=1&&b=2`) are skipped.
    package static func decode(_ body: String) throws(DecodingError) -> [String: String] {
        var form: [String: String] = [:]
        // Split on the bytes `&` and `=` (WHATWG): splitting Characters would glue a separator to a combining mark
        // after it.
        for pair in Array(body.utf8).split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = component(decodingBytes: parts[0]) else {
                throw DecodingError(field: nil, reason: "has a malformed percent-escape in its name")
            }
            let value = parts.count > 1 ? component(decodingBytes: parts[1]) : ""
            guard let value else {
                throw DecodingError(field: name, reason: "has a malformed percent-escape or is not UTF-8")
            }
            guard form.updateValue(value, forKey: name) == nil else {
                throw DecodingError(field: name, reason: "is given more than once")
            }
        }
        return form
    }

    /// One form-encoded component decoded (`+` is a space), or `nil` when an escape is malformed or the bytes are not
    /// UTF-8.
    package static func component(decoding text: Substring) -> String? {
        component(decodingBytes: Array(text.utf8)[...])
    }

    static func component(decodingBytes text: ArraySlice<UInt8>) -> String? {
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
