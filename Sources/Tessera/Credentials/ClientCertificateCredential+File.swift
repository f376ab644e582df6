import Foundation
import Synchronization
import TesseraJOSE

extension ClientCertificateCredential {
    /// A certificate credential read from a file (PEM, combined PEM or PFX) and read again whenever the file changes:
    /// a renewed certificate dropped in place (cert-manager, Key Vault sync) is used without a restart.
    public static func file(
        path: String,
        keyPath: String? = nil,
        password: String? = nil,
        options: AssertionOptions = AssertionOptions()
    ) throws(IdentityError) -> some ClientCredential {
        // Fail now, with the reason; later changes that do not load keep the last good value.
        let value: FileBackedValue<ClientCertificateCredential>
        do {
            value = try FileBackedValue.loaded(
                paths: [path] + (keyPath.map { [$0] } ?? []),
                onReloadFailure: .keepLastGood
            ) {
                try ClientCertificateCredential.load(path: path, keyPath: keyPath, password: password, options: options)
            }
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(.credentialUnavailable, "the certificate file '\(path)' could not be loaded")
        }
        return ReloadingCredential(kind: "certificate-file", path: path, value: value)
    }
}
