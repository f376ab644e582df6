import Crypto
import Foundation

/// The deployment's token-cache keys: 32-byte AES-256 keys, the first encrypts (and names the rows it writes), every
/// one decrypts (rotation: put the new key first, keep the old one until its tokens expired — rows under the old key
/// keep serving meanwhile). A key's version is the first 8 hex digits of its SHA-256, stored with each entry. Shared by
/// every second-level cache: `TesseraPostgres`'s `PostgresTokenCache` and ``FileTokenCache``.
public struct TokenCacheKeys: Sendable {
    struct Key: Sendable {
        let key: SymmetricKey
        let version: String
        /// Keys the names of the entries it seals (a keyed hash of the cache key: no credential fingerprint stored).
        let naming: SymmetricKey
    }

    let keys: [Key]

    /// The keys, first the one that encrypts. Each must be 32 bytes.
    public init(_ keys: [[UInt8]]) throws(IdentityError) {
        guard let first = keys.first else {
            throw IdentityError.invalidConfiguration(
                "no token-cache key: give one base64 32-byte key per line (TESSERA_TOKEN_CACHE_KEY_FILE) or one key "
                    + "(TESSERA_TOKEN_CACHE_KEY); `tessera cache key new` makes one"
            )
        }
        for (index, key) in keys.enumerated() where key.count != 32 {
            throw IdentityError.invalidConfiguration(
                "token-cache key \(index + 1) is \(key.count) bytes; each must be 32 bytes (base64), as `tessera cache key new` writes"
            )
        }
        _ = first
        self.keys = keys.map { bytes in
            let digest = SHA256.hash(data: bytes)
            let version = digest.prefix(4).map { String(format: "%02x", $0) }.joined()
            let naming = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: bytes),
                info: Array("tessera token cache entry name".utf8),
                outputByteCount: 32
            )
            return Key(key: SymmetricKey(data: bytes), version: version, naming: naming)
        }
    }

    /// Keys from text: one base64 key per line; blank lines and `#` comments are skipped.
    public init(text: String, source: String) throws(IdentityError) {
        var keys: [[UInt8]] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let bytes = Data(base64Encoded: trimmed) else {
                throw IdentityError.invalidConfiguration(
                    "\(source), line \(number + 1), is not base64: each line holds one 32-byte key in base64 (`tessera cache key new`)"
                )
            }
            keys.append(Array(bytes))
        }
        try self.init(keys)
    }

    /// Keys from a file (one base64 key per line).
    public static func load(path: String) throws(IdentityError) -> TokenCacheKeys {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw IdentityError.invalidConfiguration(
                "the token-cache key file '\(path)' cannot be read: check the path (TESSERA_TOKEN_CACHE_KEY_FILE) and its permissions"
            )
        }
        return try TokenCacheKeys(text: text, source: "the token-cache key file '\(path)'")
    }

    /// The keys from a key file (`TESSERA_TOKEN_CACHE_KEY_FILE`) or one key (`TESSERA_TOKEN_CACHE_KEY`), the file first;
    /// neither is an error naming `cache` (how the cache is called in messages) and both settings.
    public static func fromSettings(
        keyFile: String?,
        key: String?,
        for cache: String
    ) throws(IdentityError)
        -> TokenCacheKeys
    {
        if let keyFile, !keyFile.isEmpty { return try load(path: keyFile) }
        if let key, !key.isEmpty { return try TokenCacheKeys(text: key, source: "TESSERA_TOKEN_CACHE_KEY") }
        throw IdentityError.invalidConfiguration(
            "the token cache \(cache) needs its encryption key: set TESSERA_TOKEN_CACHE_KEY_FILE "
                + "(one base64 32-byte key per line; `tessera cache key new --out FILE` writes one) or TESSERA_TOKEN_CACHE_KEY"
        )
    }

    /// A new random key as a key-file line (base64).
    public static func newKeyLine() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// The version of the key that encrypts.
    public var currentVersion: String { keys[0].version }

    /// Every key's version, the first key's first.
    public var versions: [String] { keys.map(\.version) }

    /// The stored name of a cache key under the first key (where it is claimed and written): hex HMAC-SHA-256 under
    /// a key derived from it.
    package func entryName(_ cacheKey: String) -> String { entryNames(cacheKey)[0] }

    /// The names of a cache key under every key, the first key's first: a read looks at all of them, so during a
    /// rotation the rows sealed under the previous key still serve.
    package func entryNames(_ cacheKey: String) -> [String] {
        keys.map { key in
            HMAC<SHA256>.authenticationCode(for: Array(cacheKey.utf8), using: key.naming)
                .map { String(format: "%02x", $0) }.joined()
        }
    }

    /// `plaintext` sealed with the first key; additional data = entry name ‖ key version.
    package func seal(_ plaintext: [UInt8], name: String) throws -> (version: String, sealed: [UInt8]) {
        let key = keys[0]
        let box = try AES.GCM.seal(plaintext, using: key.key, authenticating: Array("\(name)|\(key.version)".utf8))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return (key.version, Array(combined))
    }

    /// The plaintext of an entry, or `nil` when no key of this version opens it for this name (another deployment's
    /// key, a tampered ciphertext, a row copied under another name).
    package func open(_ sealed: [UInt8], version: String, name: String) -> [UInt8]? {
        guard let key = keys.first(where: { $0.version == version }),
            let box = try? AES.GCM.SealedBox(combined: sealed),
            let plaintext = try? AES.GCM.open(box, using: key.key, authenticating: Array("\(name)|\(version)".utf8))
        else { return nil }
        return Array(plaintext)
    }
}
