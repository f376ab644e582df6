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
        // Fail now, with the reason; later changes that do not load keep this value.
        let initial = try load(path: path, keyPath: keyPath, password: password, options: options)
        let value = FileBackedValue(
            paths: [path] + (keyPath.map { [$0] } ?? []),
            onReloadFailure: .keepLastGood,
            initial: initial
        ) {
            try ClientCertificateCredential.load(path: path, keyPath: keyPath, password: password, options: options)
        }
        return ReloadingCredential(identity: "certificate-file:" + secretFingerprint(path), value: value)
    }
}
