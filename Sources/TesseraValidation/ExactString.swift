import Foundation
import Synchronization

/// A string compared and hashed by its UTF-8 bytes — code point by code point, as RFC 7519 §7.3 compares claim values.
/// Swift's `String ==`, `Set<String>` and `Dictionary<String, _>` use Unicode canonical equivalence instead, under
/// which `"\u{212A}"` (the Kelvin sign) equals `"K"` and a precomposed `"\u{E9}"` equals `"e\u{301}"`: every
/// allow-list the validator looks a claim up in is keyed by this type.
package struct ExactString: Hashable, Sendable, CustomStringConvertible {
    /// The string.
    package let string: String

    /// `string`, compared by its bytes.
    package init(_ string: String) { self.string = string }

    /// Whether both have the same UTF-8 bytes.
    package static func == (lhs: ExactString, rhs: ExactString) -> Bool { lhs.string.utf8Equals(rhs.string) }

    /// Hashes the UTF-8 bytes (native strings are contiguous: no copy).
    package func hash(into hasher: inout Hasher) {
        var text = string
        text.makeContiguousUTF8()
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable {
            hasher.combine(bytes: UnsafeRawBufferPointer($0))
        }
        if hashed == nil { Array(text.utf8).withUnsafeBytes { hasher.combine(bytes: $0) } }
    }

    /// The string.
    package var description: String { string }
}

extension StringProtocol {
    /// Whether `self` and `other` have the same UTF-8 bytes: code-point equality, not canonical equivalence.
    package func utf8Equals(_ other: some StringProtocol) -> Bool {
        let equal = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                mine.count == theirs.count
                    && (mine.isEmpty || memcmp(mine.baseAddress!, theirs.baseAddress!, mine.count) == 0)
            }
        }
        if let equal, let equal { return equal }
        return utf8.count == other.utf8.count && utf8.elementsEqual(other.utf8)
    }
}

extension String {
    /// Lowercased in ASCII only (`A`–`Z`), byte for byte: what tenant IDs (GUIDs) are compared in. Unicode lowercasing
    /// would map the Kelvin sign to `k`.
    package var asciiLowercased: String {
        guard utf8.contains(where: { (0x41...0x5A).contains($0) }) else { return self }
        return String(decoding: utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

/// Numbers no two validators in a process share (a `TokenValidator`'s identity, or a middleware's own for any other
/// validator), by which the validated-token cache (TesseraHummingbird) keys what each validator accepted.
package enum ValidatorIdentity {
    private static let counter = Atomic<UInt64>(1)

    /// A number not handed out before in this process.
    package static func next() -> UInt64 { counter.wrappingAdd(1, ordering: .relaxed).oldValue }
}
