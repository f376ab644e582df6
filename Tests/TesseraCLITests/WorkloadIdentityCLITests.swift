import Foundation
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// `tessera token` with a workload identity's federated token (`AZURE_FEDERATED_TOKEN_FILE`), on the built binary.
@Suite("tessera token (built binary): workload identity federation")
struct WorkloadIdentityCLITests {
    @Test(
        "tessera token (built binary) from AZURE_FEDERATED_TOKEN_FILE",
        .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI)
    )
    func environment() async throws {
        let binary = ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set"
        try await WorkloadIssuer().run { issuer in
            try await withEmulator(model: WorkloadFixture.model(issuer: issuer.issuer)) { emulator in
                let file = try WorkloadFixture.tokenFile(try await issuer.token(subject: WorkloadFixture.subject))
                defer { unlink(file) }
                let output = try await Peers.runAsync(
                    binary,
                    ["token", "--scope", "api://reports/.default"],
                    environment: [
                        "AZURE_TENANT_ID": EmulatorFixture.contoso, "AZURE_CLIENT_ID": EmulatorFixture.daemon,
                        "AZURE_FEDERATED_TOKEN_FILE": file,
                        "AZURE_AUTHORITY_HOST": emulator.baseURL, "TESSERA_CA_FILE": emulator.caFile!,
                    ]
                )
                let token = output.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(try claims(of: token)["azp"]?.stringValue == EmulatorFixture.daemon)
            }
        }
    }
}
