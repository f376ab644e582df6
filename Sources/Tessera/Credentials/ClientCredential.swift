import Foundation

/// A client credential: proves the daemon's identity on each token request.
///
/// Implementations: ``ClientSecretCredential``, ``ClientCertificateCredential``, ``ClientAssertionCredential``.
/// Conform your own to plug in another source (a hardware key, a vault); one that holds several credentials takes
/// part in rotation through ``alternativeCount`` and ``rejected(_:)``.
public protocol ClientCredential: Sendable {
    /// A stable, non-secret identity of this credential (part of the token cache key, safe to log).
    var identity: String { get }
    /// The authentication for one request. Called for every attempt: assertions are never reused. It must end soon
    /// after its task is cancelled (a vault call: pass cancellation on), or the request timeout cannot bound it.
    func authentication(for context: CredentialContext) async throws -> ClientAuthentication
    /// How many other credentials one request may move on to when the identity provider rejects this one: a
    /// rotating credential's count less one. Default 0.
    var alternativeCount: Int { get }
    /// The identity provider refused `authentication` as a credential (AADSTS7000215 wrong secret, 7000222 expired
    /// secret, 700027 unknown key …): move past the credential that made it, so that the next
    /// ``authentication(for:)`` uses another — unless a concurrent request moved on already. Called at most
    /// ``alternativeCount`` times per request. Default: nothing.
    func rejected(_ authentication: ClientAuthentication) async
}

extension ClientCredential {
    /// One credential: nothing to move on to.
    public var alternativeCount: Int { 0 }

    /// One credential: nothing to move past.
    public func rejected(_ authentication: ClientAuthentication) async {}
}
