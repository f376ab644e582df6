import Crypto

extension Base64URL {
    /// `byteCount` bytes from the system's secure random source, base64url-encoded: identifiers such as a token's `uti`,
    /// consent `state` values and generated secrets. Zero or fewer bytes give the empty string.
    ///
    /// swift-crypto's `SymmetricKey(size:)` fills its bytes from `SystemRandomNumberGenerator` eight at a time (one
    /// `getrandom` system call each on Linux), where `UInt8.random(in:)` per byte made one call per byte: the emulator's
    /// 40 bytes per token took 40 calls (strace).
    public static func random(byteCount: Int) -> String {
        guard byteCount > 0 else { return "" }
        return SymmetricKey(size: SymmetricKeySize(bitCount: byteCount * 8)).withUnsafeBytes { encode($0) }
    }
}
