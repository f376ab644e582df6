import Foundation
import Synchronization
import TesseraJOSE

/// What an admin-consent page was shown for: its Accept form's token grants only this request.
struct ConsentBinding: Sendable {
    /// The application's client ID, as registered.
    let clientID: String
    /// The tenant's ID (whichever name the URL used).
    let tenant: String
    /// The redirect URI the administrator is sent back to.
    let redirectURI: String
    /// The caller's `state`, if it gave one.
    let state: String?

    /// Whether `other` is the same request, field by field as UTF-8 bytes.
    func matches(_ other: ConsentBinding) -> Bool {
        func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }
        let states: Bool
        switch (state, other.state) {
        case (nil, nil): states = true
        case (.some(let a), .some(let b)): states = same(a, b)
        default: states = false
        }
        return same(clientID.lowercased(), other.clientID.lowercased())
            && same(tenant.lowercased(), other.tenant.lowercased()) && same(redirectURI, other.redirectURI) && states
    }
}

/// The one-time tokens of admin-consent pages: 256 random bits each, embedded in the page's Accept form (a page of
/// another origin cannot read it), good for one POST of the same request within 10 minutes. At most 1,000 are
/// pending; the oldest goes first.
final class ConsentTokens: Sendable {
    /// How long a consent page's token is good for.
    static let lifetime: TimeInterval = 600
    /// How many tokens may be pending at once.
    static let capacity = 1000

    private struct Pending: Sendable {
        let binding: ConsentBinding
        let expires: Date
    }

    /// Keyed by the token's bytes (a `String` key would also match a canonically equivalent spelling).
    private let pending = Mutex<[[UInt8]: Pending]>([:])

    /// A new token for a page showing `binding`.
    func issue(for binding: ConsentBinding, now: Date) -> String {
        let token = Base64URL.random(byteCount: 32)
        pending.withLock { pending in
            pending = pending.filter { $0.value.expires > now }
            if pending.count >= Self.capacity,
                let oldest = pending.min(by: { $0.value.expires < $1.value.expires })?.key
            {
                pending[oldest] = nil
            }
            pending[Array(token.utf8)] = Pending(binding: binding, expires: now.addingTimeInterval(Self.lifetime))
        }
        return token
    }

    /// Whether `token` was issued for `binding` and is still good; it is used up whatever the answer (a second POST
    /// of it, or of a guess, finds nothing).
    func redeem(_ token: String, for binding: ConsentBinding, now: Date) -> Bool {
        guard !token.isEmpty else { return false }
        let entry = pending.withLock { $0.removeValue(forKey: Array(token.utf8)) }
        guard let entry, entry.expires > now else { return false }
        return entry.binding.matches(binding)
    }
}
