import Foundation
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// Real MSAL Python and azure-identity (pinned in Scripts/requirements.txt) against the built `tessera emulator`:
/// secrets, certificates (SHA-1 thumbprint, public_certificate + x5c, PFX), instance discovery, domain authorities,
/// EnvironmentCredential — every token verified with PyJWT against the emulator's JWKS — and Entra's errors.
/// Required under CI=true (Scripts/test.sh installs the venv); skipped locally without TESSERA_BIN / TESSERA_PYTHON.
@Suite(
    "Interop: MSAL Python and azure-identity against the emulator",
    .enabled(
        if: Peers.isCI
            || (ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil
                && ProcessInfo.processInfo.environment["TESSERA_PYTHON"] != nil)
    )
)
struct PeerInteropTests {
    @Test("all peer cases pass")
    func peers() async throws {
        let environment = ProcessInfo.processInfo.environment
        let binary = try #require(environment["TESSERA_BIN"], "TESSERA_BIN is not set: run Scripts/test.sh")
        let python = try #require(environment["TESSERA_PYTHON"], "TESSERA_PYTHON is not set: run Scripts/test.sh")
        let pki = TestPKI.shared
        let state = NSTemporaryDirectory() + "tessera-peers-" + UUID().uuidString.prefix(8)
        try SecretFile.prepareFolder(state)
        let unregistered = state + "/unregistered.pem"
        try (pki.text("other-cert.pem") + pki.text("other-key.pem")).write(
            toFile: unregistered,
            atomically: true,
            encoding: .utf8
        )

        let port = try Peers.freePort()
        let baseURL = "https://localhost:\(port)"
        let identity = (
            clientId: "5a5a5a5a-0000-4000-8000-0000000000a1", objectId: "0b0b0b0b-0000-4000-8000-0000000000a1"
        )
        let configuration: [String: Any] = [
            "tenants": [
                ["id": EmulatorFixture.contoso, "domains": ["contoso.example"]],
                ["id": EmulatorFixture.fabrikam, "domains": ["fabrikam.example"]],
            ],
            "applications": [
                [
                    "clientId": EmulatorFixture.daemon, "displayName": "daemon", "homeTenant": EmulatorFixture.contoso,
                    "multiTenant": true,
                    "secrets": [["value": EmulatorFixture.secret, "expires": "2099-01-01T00:00:00Z"]],
                    "certificates": [["path": pki.path("cert.pem")]],
                    // The managed identity below may act as this app (workload identity federation).
                    "federatedCredentials": [
                        ["issuer": "\(baseURL)/\(EmulatorFixture.contoso)/v2.0", "subject": identity.objectId]
                    ],
                ],
                [
                    "clientId": EmulatorFixture.api, "displayName": "api", "homeTenant": EmulatorFixture.contoso,
                    "identifierUris": ["api://reports"], "appRoles": [["value": "Reports.Read.All"]],
                ],
            ],
            "grants": [
                [
                    "tenant": EmulatorFixture.contoso, "client": EmulatorFixture.daemon, "resource": "api://reports",
                    "roles": ["Reports.Read.All"],
                ],
                [
                    "tenant": EmulatorFixture.contoso, "client": identity.clientId, "resource": "api://reports",
                    "roles": ["Reports.Read.All"],
                ],
            ],
            "managedIdentities": [
                [
                    "clientId": identity.clientId, "objectId": identity.objectId, "tenant": EmulatorFixture.contoso,
                    "systemAssigned": true,
                ]
            ],
        ]
        let configPath = state + "/directory.json"
        try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: configPath))

        let pid = try Peers.spawn(
            binary,
            ["emulator", "--port", "\(port)", "--config", configPath, "--state-dir", state],
            output: state + "/emulator.out",
            errors: state + "/emulator.err"
        )
        defer { Peers.stop(pid) }
        var connection: [String: Any]?
        for _ in 0..<300 where connection == nil {
            try await Task.sleep(for: .milliseconds(100))
            connection = (try? Data(contentsOf: URL(fileURLWithPath: state + "/connection.json"))).flatMap {
                try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
            }
        }
        let details = try #require(
            connection,
            "the emulator wrote no connection.json: \((try? String(contentsOfFile: state + "/emulator.err", encoding: .utf8)) ?? "")"
        )
        #expect(details["baseURL"] as? String == baseURL)
        let identityHeader = try #require((details["managedIdentity"] as? [String: Any])?["IDENTITY_HEADER"] as? String)
        let caFile = try #require(details["caFile"] as? String)

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Scripts/interop/peers.py").path
        let arguments = [
            script, "--base-url", baseURL, "--ca-file", caFile, "--tenant", EmulatorFixture.contoso, "--tenant-domain",
            "contoso.example",
            "--client-id", EmulatorFixture.daemon, "--secret", EmulatorFixture.secret, "--cert-pem",
            pki.path("combined.pem"),
            "--cert-pfx", pki.path("bundle.pfx"), "--pfx-password", TestPKI.password, "--scope",
            "api://reports/.default",
            "--expected-aud", EmulatorFixture.api, "--expected-roles", "Reports.Read.All", "--unregistered-cert-pem",
            unregistered,
            "--unknown-tenant", "12345678-0000-0000-0000-000000000000", "--other-tenant", EmulatorFixture.fabrikam,
            "--identity-header", identityHeader, "--mi-client-id", identity.clientId,
        ]
        let output: String
        do {
            output = try await Peers.runAsync(python, arguments)
        } catch {
            Issue.record("peer cases failed: \(error)")
            return
        }
        let lines = output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let cases = lines.filter { $0["case"] != nil }
        #expect(cases.count == 19)
        for line in cases where line["ok"] as? Bool != true {
            Issue.record("\(line["case"] ?? "?"): \(line["detail"] ?? "")")
        }
        #expect(!output.contains(EmulatorFixture.secret))
    }
}
