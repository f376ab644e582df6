import Foundation
import TesseraJOSE

/// Anything that validates bearer tokens (``TokenValidator``, or a wrapper that builds one lazily).
/// TesseraHummingbird's validated-token cache keys what a ``TokenValidator`` accepted by that validator, and what any
/// other validator accepted by the middleware holding it.
public protocol AccessTokenValidator: Sendable {
    /// The token's validated principal, or the ``TokenRejection`` naming the first check it failed.
    func validate(_ token: String) async throws(TokenRejection) -> ValidatedToken
    /// Changes when the keys change: caches of accepted tokens flush on it.
    var keyGeneration: Int { get }
    /// The validator's clock.
    func now() -> Date
}
