import AsyncHTTPClient
import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite(
    "tessera token (built binary) with SignedAssertionFromManagedIdentity",
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI)
)
struct ManagedIdentityCLITests {
    @Test("appsettings.json ClientCredentials SourceType SignedAssertionFromManagedIdentity on App Service")
    func signedAssertionFromManagedIdentity() async throws {
        let binary = ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set"
        try await withEmulator(model: ManagedIdentityFixture.model()) { emulator in
            _ = try emulator.directory.modifyApplication(EmulatorFixture.daemon) {
                $0.federatedCredentials = [
                    .init(
                        issuer: "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0",
                        subject: ManagedIdentityFixture.user.objectId
                    )
                ]
            }
            let settings = NSTemporaryDirectory() + "tessera-mi-\(UUID().uuidString.prefix(8)).json"
            defer { unlink(settings) }
            let file: [String: Any] = [
                "AzureAd": [
                    "Instance": emulator.baseURL + "/", "TenantId": EmulatorFixture.contoso,
                    "ClientId": EmulatorFixture.daemon,
                    "ClientCredentials": [
                        [
                            "SourceType": "SignedAssertionFromManagedIdentity",
                            "ManagedIdentityClientId": ManagedIdentityFixture.user.clientId,
                        ]
                    ],
                ]
            ]
            try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: settings))
            let output = try await Peers.runAsync(
                binary,
                ["token", "--config", settings, "--scope", "api://reports/.default", "--ca-file", emulator.caFile!],
                environment: [
                    "IDENTITY_ENDPOINT": emulator.baseURL + "/msi/token", "IDENTITY_HEADER": emulator.identityHeader,
                ]
            )
            let token = output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try claims(of: token)["azp"]?.stringValue == EmulatorFixture.daemon)
            #expect(!output.contains(emulator.identityHeader))
        }
    }
}
