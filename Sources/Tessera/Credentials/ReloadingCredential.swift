import Foundation
import Synchronization
import TesseraJOSE

/// A credential whose underlying credential is reloaded from files.
struct ReloadingCredential<Wrapped: ClientCredential>: ClientCredential, CustomStringConvertible {
    let identity: String
    let sharedCacheIdentity: String
    let value: FileBackedValue<Wrapped>

    /// `kind:` and the path's fingerprint (this process's), and a digest of it for shared cache keys.
    init(kind: String, path: String, value: FileBackedValue<Wrapped>) {
        self.identity = kind + ":" + secretFingerprint(path)
        self.sharedCacheIdentity = kind + ":" + sharedSecretDigest(path)
        self.value = value
    }

    func authentication(for context: CredentialContext) async throws -> ClientAuthentication {
        try await value.current().authentication(for: context)
    }

    var description: String { "ReloadingCredential(\(value.paths.joined(separator: ", ")))" }
}
