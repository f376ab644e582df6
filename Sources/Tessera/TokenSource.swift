import Foundation
import TesseraJOSE

/// Anything that hands out access tokens: the identity provider itself, a cache in front of it, or your own.
///
/// One method, composable wrappers, like `golang.org/x/oauth2`'s `TokenSource`: credential → request → cache →
/// caller.
public protocol TokenSource: Sendable {
    /// A token for `request`, or an error that says why there is none (``IdentityError`` for Tessera's own sources).
    /// It must end soon after its task is cancelled: the cache's request timeout works by cancelling it.
    func token(for request: TokenRequest) async throws -> AccessToken
}

extension TokenSource {
    /// A token for one scope (`{resource}/.default` for Microsoft), optionally for another tenant.
    public func token(scope: String, tenant: String? = nil) async throws -> AccessToken {
        try await token(for: TokenRequest(scope: scope, tenant: tenant))
    }
}
