import Crypto
import Foundation
import Synchronization
import TesseraJOSE

/// `jti`s seen, each kept until its assertion expires (bounded by expiry, not by count: assertions live ≤ 10 min).
final class ReplayCache: Sendable {
    private let seen = Mutex<[String: Date]>([:])

    /// Records the assertion's `jti`; `false` when it was already used and has not expired.
    func firstUse(claims: [String: JSONValue], now: Date) -> Bool {
        guard let jti = claims["jti"]?.stringValue else { return false }
        let expires = Date(timeIntervalSince1970: claims["exp"]?.doubleValue ?? now.timeIntervalSince1970 + 600)
        return seen.withLock { seen in
            seen = seen.filter { $0.value > now }
            return seen.updateValue(expires, forKey: jti) == nil
        }
    }
}
