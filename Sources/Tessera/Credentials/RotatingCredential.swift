import Foundation
import Synchronization
import TesseraJOSE

/// Several credentials of one app, in order of preference — the current secret and its successor, an old and a new
/// certificate. When the identity provider rejects the one in use (`invalid_client`: AADSTS7000215 wrong secret,
/// 7000222 expired secret, 700027 unknown key or bad signature, 7000274 …) the next is tried at once, and the one
/// that works is remembered for later requests. Neither MSAL nor Azure Identity rotates credentials; with this, a
/// daemon whose secret is rotated in the portal heals itself if it was given the new one (e.g. a second file).
///
/// ```swift
/// let credential = RotatingCredential([
///     ClientSecretCredential.file(path: "/etc/tessera/secret-current"),
///     try ClientCertificateCredential.file(path: "/etc/tessera/daemon.pem"),
/// ])
/// ```
public final class RotatingCredential: ClientCredential, CustomStringConvertible {
    /// The credentials, in order of preference.
    public let credentials: [any ClientCredential]
    /// Stable across rotation (the cache partition must not change when the credential in use does).
    public let identity: String
    /// Stable across rotation and across processes: a digest of the credentials' shared-cache identities.
    public let sharedCacheIdentity: String
    private let current = Mutex<Int>(0)

    /// Rotates through `credentials`, starting with the first; at least one is required (a precondition).
    public init(_ credentials: [any ClientCredential]) {
        precondition(!credentials.isEmpty, "RotatingCredential needs at least one credential")
        self.credentials = credentials
        self.identity = "rotating:" + secretFingerprint(credentials.map(\.identity).joined(separator: "|"))
        self.sharedCacheIdentity =
            "rotating:" + sharedSecretDigest(credentials.map(\.sharedCacheIdentity).joined(separator: "|"))
    }

    /// The credential in use and its position.
    public var active: (index: Int, credential: any ClientCredential) {
        let index = current.withLock { $0 }
        return (index, credentials[index])
    }

    /// The active credential's authentication, marked with its identity.
    public func authentication(for context: CredentialContext) async throws -> ClientAuthentication {
        let active = self.active
        var authentication = try await active.credential.authentication(for: context)
        authentication.credentialIdentity = "\(active.index):\(active.credential.identity)"
        return authentication
    }

    /// One fewer than the credentials held.
    public var alternativeCount: Int { credentials.count - 1 }

    /// Moves past the credential that made `authentication` (unless another request already moved on).
    public func rejected(_ authentication: ClientAuthentication) async {
        guard let mark = authentication.credentialIdentity, let index = Int(mark.prefix { $0 != ":" }),
            credentials.indices.contains(index)
        else { return }
        current.withLock { current in
            if current == index { current = (index + 1) % credentials.count }
        }
    }

    /// `RotatingCredential(…)` with each credential's identity, in order; never a secret.
    public var description: String { "RotatingCredential(\(credentials.map(\.identity).joined(separator: ", ")))" }
}
