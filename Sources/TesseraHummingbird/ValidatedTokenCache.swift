import Crypto
import Foundation
import Synchronization
import TesseraJOSE
import TesseraValidation

/// Accepted tokens, keyed by their SHA-256 (never the token), bounded, each until its `exp`, all flushed when the key
/// set changes — so a daemon that reuses its token costs a hash and a lookup, not an RSA verification.
/// Use one cache per middleware: an entry means "accepted by *that* policy".
public final class ValidatedTokenCache: Sendable {
    struct Key: Hashable, Sendable {
        let a: UInt64, b: UInt64, c: UInt64, d: UInt64
    }

    struct State {
        var entries: LRUMap<Key, ValidatedToken>
        var generation: Int
    }

    private let state: Mutex<State>

    /// An empty cache of at most `capacity` tokens, evicting the least recently used. Default 10 000.
    public init(capacity: Int = 10_000) {
        state = Mutex(State(entries: LRUMap(capacity: capacity), generation: 0))
    }

    static func key(_ token: String) -> Key {
        let digest = SHA256.hash(data: Array(token.utf8))
        return digest.withUnsafeBytes { raw in
            Key(
                a: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                b: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                c: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                d: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            )
        }
    }

    func lookup(_ key: Key, now: Date, generation: Int) -> ValidatedToken? {
        state.withLock { state in
            if state.generation != generation {
                state.entries.removeAll()
                state.generation = generation
                return nil
            }
            guard let token = state.entries.get(key) else { return nil }
            guard token.expiresOn > now else {
                state.entries.remove(key)
                return nil
            }
            return token
        }
    }

    func store(_ token: ValidatedToken, key: Key, generation: Int) {
        state.withLock { state in
            guard state.generation == generation else { return }
            state.entries.set(key, token)
        }
    }

    /// Cached tokens.
    public var count: Int { state.withLock { $0.entries.count } }
}
