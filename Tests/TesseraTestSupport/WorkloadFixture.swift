import Foundation
import TesseraEmulator

/// Workload identity federation against the emulator: the daemon app trusting a ``WorkloadIssuer`` for one subject.
package enum WorkloadFixture {
    /// The workload's subject (a Kubernetes service account).
    package static let subject = "system:serviceaccount:payroll:daemon"

    /// The emulator fixture with the daemon app trusting `issuer` for ``subject``.
    package static func model(issuer: String, audiences: [String]? = nil) -> DirectoryModel {
        var model = EmulatorFixture.model
        model.applications[0].federatedCredentials = [
            .init(name: "aks", issuer: issuer, subject: subject, audiences: audiences)
        ]
        return model
    }

    /// A new file holding `token`, as the kubelet projects it (`AZURE_FEDERATED_TOKEN_FILE`).
    package static func tokenFile(_ token: String) throws -> String {
        let path = NSTemporaryDirectory() + "tessera-federated-\(UUID().uuidString.prefix(8))"
        try token.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
