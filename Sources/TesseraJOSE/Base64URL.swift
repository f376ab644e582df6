/// Strict base64url (RFC 4648 §5) as JOSE requires: no padding, no whitespace, no characters outside the URL-safe
/// alphabet, and canonical trailing bits (the unused low bits of the last character must be zero).
///
/// jwt-kit and Foundation decode leniently; validators must not, or one token gets many spellings.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes without padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 6 {
                bits -= 6
                output.append(alphabet[Int((buffer >> UInt32(bits)) & 0x3F)])
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(6 - bits)) & 0x3F)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes strictly; returns `nil` for anything that is not the one canonical encoding of some bytes.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(utf8: text.utf8)
    }

    /// Decodes strictly from UTF-8 code units (one pass over contiguous bytes when they are: a native string's view, an
    /// array or a slice of one).
    public static func decode(utf8: some Collection<UInt8>) -> [UInt8]? {
        if let decoded = utf8.withContiguousStorageIfAvailable({ decode(bytes: $0) }) { return decoded }
        return Array(utf8).withUnsafeBufferPointer { decode(bytes: $0) }
    }

    /// The strict decoder over a buffer: four characters to three bytes per step, then the 2- or 3-character tail.
    static func decode(bytes input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = input.count
        if count % 4 == 1 { return nil }
        let whole = count - count % 4
        let capacity = whole / 4 * 3 + max(0, count % 4 - 1)
        return decodeTable.withUnsafeBufferPointer { table -> [UInt8]? in
            var valid = true
            let output = [UInt8](unsafeUninitializedCapacity: capacity) { output, written in
                var position = 0
                var index = 0
                // A table value is 0…63, or 0xFF for a character outside the alphabet: any high bit set is invalid.
                while index < whole {
                    let a = UInt32(table[Int(input[index])])
                    let b = UInt32(table[Int(input[index + 1])])
                    let c = UInt32(table[Int(input[index + 2])])
                    let d = UInt32(table[Int(input[index + 3])])
                    if (a | b | c | d) & 0xC0 != 0 {
                        valid = false
                        break
                    }
                    let word = a << 18 | b << 12 | c << 6 | d
                    output[position] = UInt8(truncatingIfNeeded: word >> 16)
                    output[position + 1] = UInt8(truncatingIfNeeded: word >> 8)
                    output[position + 2] = UInt8(truncatingIfNeeded: word)
                    position += 3
                    index += 4
                }
                let rest = count - whole
                if valid, rest > 0 {
                    let a = UInt32(table[Int(input[whole])])
                    let b = UInt32(table[Int(input[whole + 1])])
                    let c = rest == 3 ? UInt32(table[Int(input[whole + 2])]) : 0
                    let word = a << 18 | b << 12 | c << 6
                    // The unused low bits of the last character must be zero: otherwise two different strings
                    // decode to the same bytes.
                    if (a | b | c) & 0xC0 != 0 || word & (rest == 3 ? 0xFF : 0xFFFF) != 0 {
                        valid = false
                    } else {
                        output[position] = UInt8(truncatingIfNeeded: word >> 16)
                        position += 1
                        if rest == 3 {
                            output[position] = UInt8(truncatingIfNeeded: word >> 8)
                            position += 1
                        }
                    }
                }
                written = valid ? position : 0
            }
            return valid ? output : nil
        }
    }
}
