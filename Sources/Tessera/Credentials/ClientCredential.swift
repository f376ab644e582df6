import Foundation

/// A client credential: proves the daemon's identity on each token request.
///
/// Implementations: ``ClientSecretCredential``, ``ClientCertificateCredential``, ``ClientAssertionCredential``.
/// Conform your own to plug in another source (a hardware key, a vault).
public protocol ClientCredential: Sendable {
    /// A stable, non-secret identity of this credential (part of the token cache key, safe to log).
    var identity: String { get }
    /// The authentication for one request. Called for every attempt: assertions are never reused.
    func authentication(for context: CredentialContext) async throws -> ClientAuthentication
}
