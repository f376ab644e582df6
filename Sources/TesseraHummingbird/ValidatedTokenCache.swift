import Crypto
import Foundation
import Synchronization
import TesseraJOSE
import TesseraValidation

/// Accepted tokens, keyed by their SHA-256 (never the token) and by the validator that accepted them, bounded, each
/// until its `exp` and while that validator's key set is the one it was accepted with — so a daemon that reuses its
/// token costs a hash and a lookup, not an RSA verification.
///
/// One cache may serve several middlewares: an entry means "accepted by *that* validator" (a ``TokenValidator`` and
/// its copies; any other ``AccessTokenValidator`` is told apart by the middleware holding it), so a token a lenient
/// route accepted is validated afresh by a strict route's validator. An entry whose key set has changed since is
/// dropped when next looked up; the least recently used go when the cache is full.
public final class ValidatedTokenCache: Sendable {
    struct Key: Hashable, Sendable {
        let a: UInt64, b: UInt64, c: UInt64, d: UInt64
        /// The accepting validator's identity.
        let validator: UInt64
    }

    struct Entry: Sendable {
        let token: ValidatedToken
        /// The validator's key generation when it accepted the token.
        let generation: Int
    }

    private let state: Mutex<LRUMap<Key, Entry>>

    /// An empty cache of at most `capacity` tokens, evicting one not used lately (second chance, ``LRUMap``). Default
    /// 10 000.
    public init(capacity: Int = 10_000) {
        state = Mutex(LRUMap(capacity: capacity))
    }

    /// The SHA-256 of `token` (hashed in place: no copy of a native string) and the accepting validator.
    static func key(_ token: String, validator: UInt64) -> Key {
        var text = token
        text.makeContiguousUTF8()
        var hasher = SHA256()
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable {
            hasher.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if hashed == nil { hasher.update(data: Array(text.utf8)) }
        return hasher.finalize().withUnsafeBytes { raw in
            Key(
                a: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                b: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                c: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                d: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self),
                validator: validator
            )
        }
    }

    /// The token stored under `key`, unless it expired or the validator's keys moved on from `generation` (then the
    /// entry is dropped).
    func lookup(_ key: Key, now: Date, generation: Int) -> ValidatedToken? {
        state.withLock { entries in
            guard let entry = entries.get(key) else { return nil }
            guard entry.generation == generation, entry.token.expiresOn > now else {
                entries.remove(key)
                return nil
            }
            return entry.token
        }
    }

    /// Stores `token` as accepted under `key` with the keys of `generation`.
    func store(_ token: ValidatedToken, key: Key, generation: Int) {
        state.withLock { entries in
            _ = entries.set(key, Entry(token: token, generation: generation))
        }
    }

    /// `token` as `validator` accepted it before, else validated now and remembered when accepted: a hash and a
    /// look-up for a token seen before, a full validation otherwise. Rejections are never cached.
    public func validate(_ token: String, with validator: TokenValidator) async throws(TokenRejection) -> ValidatedToken
    {
        try await validate(token, with: validator, partition: validator.identity)
    }

    /// ``validate(_:with:)`` for any validator, its acceptances recorded under `partition`.
    func validate(
        _ token: String,
        with validator: some AccessTokenValidator,
        partition: UInt64
    ) async throws(TokenRejection) -> ValidatedToken {
        let key = Self.key(token, validator: partition)
        let generation = validator.keyGeneration
        if let hit = lookup(key, now: validator.now(), generation: generation) { return hit }
        let validated = try await validator.validate(token)
        store(validated, key: key, generation: generation)
        return validated
    }

    /// Cached tokens (entries of an older key generation included until looked up or evicted).
    public var count: Int { state.withLock { $0.count } }
}
