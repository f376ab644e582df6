import Foundation

/// A client credential: proves the daemon's identity on each token request.
///
/// Implementations: ``ClientSecretCredential``, ``ClientCertificateCredential``, ``ClientAssertionCredential``.
/// Conform your own to plug in another source (a hardware key, a vault); one that holds several credentials takes
/// part in rotation through ``alternativeCount`` and ``rejected(_:)``.
public protocol ClientCredential: Sendable {
    /// A non-secret identity of this credential, stable within the process: part of the in-memory token cache key and
    /// safe to log (a secret appears only as a fingerprint keyed by this process).
    var identity: String { get }
    /// This credential's part of a **shared** (second-level) cache key: the same in every process of the deployment,
    /// so replicas find each other's tokens. A shared cache stores only a keyed hash of its keys; never log it.
    /// Default: ``identity`` (right for identities that hold no fingerprint of a secret).
    var sharedCacheIdentity: String { get }
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
    /// The ``identity``.
    public var sharedCacheIdentity: String { identity }

    /// One credential: nothing to move on to.
    public var alternativeCount: Int { 0 }

    /// One credential: nothing to move past.
    public func rejected(_ authentication: ClientAuthentication) async {}
}
