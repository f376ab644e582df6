import Foundation
import Synchronization
@_spi(TesseraInternal) import TesseraJOSE
import TesseraValidation

/// Accepted tokens, keyed by their bytes and by the validator that accepted them, bounded, each until its `exp` and
/// while that validator's key set is the one it was accepted with — so a daemon that reuses its token costs one SipHash
/// pass and one byte comparison of the token, not an RSA verification (nor a SHA-256 of the token, several times
/// slower).
///
/// The token is held in memory until it expires or is evicted (as a client's cache holds its own: a trade-off against
/// the digest an earlier version held, which was 5× slower to compute) and compared byte for byte — never by Unicode
/// equivalence, under which a token with a Kelvin sign would match one with a `K` — and only with a stored token whose
/// full-token hash it shares; it is never logged or described.
///
/// One cache may serve several middlewares: an entry means "accepted by *that* validator" (a ``TokenValidator`` and
/// its copies; any other ``AccessTokenValidator`` is told apart by the middleware holding it), so a token a lenient
/// route accepted is validated afresh by a strict route's validator. An entry whose key set has changed since is
/// dropped when next looked up; the least recently used go when the cache is full.
public final class ValidatedTokenCache: Sendable {
    struct Key: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
        /// The token, compared by its UTF-8 bytes.
        let token: ExactString
        /// The accepting validator's identity.
        let validator: UInt64
        /// This process's seeded SipHash of all the token's bytes: the dictionary's hash, and compared before the
        /// bytes, so a look-up compares a stored token's bytes only with the one whose hash it has (no byte-by-byte
        /// comparison with other callers' tokens, no probe run an attacker can line up).
        let tokenHash: Int
        /// The validator only: never the token.
        var description: String { "ValidatedTokenCache.Key(validator: \(validator))" }
        /// The validator only, for `dump` and debuggers: never the token or its hash.
        var customMirror: Mirror { Mirror(self, children: ["validator": validator]) }

        init(token: String, validator: UInt64) {
            self.token = ExactString(token)
            self.validator = validator
            self.tokenHash = self.token.hashValue
        }

        static func == (left: Key, right: Key) -> Bool {
            left.tokenHash == right.tokenHash && left.validator == right.validator && left.token == right.token
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(tokenHash)
            hasher.combine(validator)
        }
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
        let key = Key(token: token, validator: partition)
        let generation = validator.keyGeneration
        if let hit = lookup(key, now: validator.now(), generation: generation) { return hit }
        let validated = try await validator.validate(token)
        store(validated, key: key, generation: generation)
        return validated
    }

    /// Cached tokens (entries of an older key generation included until looked up or evicted).
    public var count: Int { state.withLock { $0.count } }
}
