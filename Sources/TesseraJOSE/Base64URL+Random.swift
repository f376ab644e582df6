import Crypto

extension Base64URL {
    /// `byteCount` bytes from the system's secure random source, base64url-encoded: identifiers such as a token's `uti`,
    /// consent `state` values and generated secrets.
    ///
    /// One draw from BoringSSL's generator (`SymmetricKey(size:)`), not one `UInt8.random(in:)` per byte: on Linux each
    /// of those is a `getrandom` system call (40 for every token the emulator issues, measured with strace).
    public static func random(byteCount: Int) -> String {
        SymmetricKey(size: SymmetricKeySize(bitCount: byteCount * 8)).withUnsafeBytes { encode($0) }
    }
}
