import Foundation
import Synchronization
import TesseraJOSE

extension ClientSecretCredential {
    /// A secret read from a file (a Kubernetes secret volume, a vault agent's output; trailing newlines ignored) and
    /// read again whenever the file changes.
    public static func file(path: String, method: Method? = nil) throws(IdentityError) -> some ClientCredential {
        @Sendable func read() throws -> ClientSecretCredential {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw IdentityError(
                    .credentialUnavailable,
                    "the secret file '\(path)' cannot be read: check the path and permissions"
                )
            }
            var secret = String(decoding: data, as: UTF8.self)
            while secret.hasSuffix("\n") || secret.hasSuffix("\r") { secret.removeLast() }
            guard !secret.isEmpty else {
                throw IdentityError(.credentialUnavailable, "the secret file '\(path)' is empty")
            }
            return ClientSecretCredential(secret: secret, method: method)
        }
        do {
            return ReloadingCredential(
                kind: "secret-file",
                path: path,
                value: try FileBackedValue.loaded(paths: [path], onReloadFailure: .keepLastGood, load: read)
            )
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(.credentialUnavailable, "the secret file '\(path)' could not be read")
        }
    }
}
