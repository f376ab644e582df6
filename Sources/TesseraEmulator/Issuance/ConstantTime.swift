import Crypto

/// The key the emulator's secret comparisons hash under: random per process, never stored.
private let comparisonKey = SymmetricKey(size: .bits256)

/// How the emulator compares a presented secret (client secret, admin key, `X-IDENTITY-HEADER`, consent token) with
/// the one it holds.
package enum ConstantTime {
    /// Whether `presented` and `expected` are the same UTF-8 bytes, in time that depends on neither's content nor on
    /// where they first differ: both are hashed (HMAC-SHA-256 under a random key of this process) and the two 32-byte
    /// codes are compared with every byte visited. Canonically equivalent strings that differ in bytes (`"\u{212A}"`,
    /// the Kelvin sign, and `"K"`, which Swift's `==` calls equal) are different secrets.
    package static func equals(_ presented: String, _ expected: String) -> Bool {
        let left = Array(HMAC<SHA256>.authenticationCode(for: Array(presented.utf8), using: comparisonKey))
        let right = Array(HMAC<SHA256>.authenticationCode(for: Array(expected.utf8), using: comparisonKey))
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
