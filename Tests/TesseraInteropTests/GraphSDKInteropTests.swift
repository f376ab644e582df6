import Foundation
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// Where Microsoft's Graph SDK for Python is: `TESSERA_PYTHON` (Scripts/test.sh's venv), else this checkout's `.venv`.
enum GraphSDK {
    static var python: String {
        if let python = ProcessInfo.processInfo.environment["TESSERA_PYTHON"], !python.isEmpty { return python }
        return Peers.packageRoot + "/.venv/bin/python"
    }

    /// Whether the venv holds msgraph-sdk (Scripts/requirements.txt).
    static var installed: Bool {
        let lib = URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent().path + "/lib"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []
        return versions.contains { FileManager.default.fileExists(atPath: "\(lib)/\($0)/site-packages/msgraph") }
    }
}

/// Microsoft's Graph SDK for Python (msgraph-sdk 1.65.0 over azure-identity's async credential, pinned in
/// Scripts/requirements.txt) run unmodified against the emulator's directory: `Scripts/interop/graph_sdk.py`, one
/// process, one JSON line per named case. Required under CI=true; skipped locally when the venv lacks the SDK.
@Suite(
    "Interop: Microsoft's Graph SDK for Python against the emulator's directory",
    .enabled(if: Peers.isCI || GraphSDK.installed)
)
struct GraphSDKInteropTests {
    @Test("all Graph SDK cases pass")
    func graphSDK() async throws {
        try await withEmulator(model: EmulatorFixture.directoryModel()) { emulator in
            let caFile = try #require(emulator.caFile)
            let script = Peers.packageRoot + "/Scripts/interop/graph_sdk.py"
            let arguments = [
                script, "--base-url", emulator.baseURL, "--ca-file", caFile, "--tenant", EmulatorFixture.contoso,
                "--domain", "contoso.example", "--client-id", EmulatorFixture.daemon, "--secret",
                EmulatorFixture.secret, "--reader-client-id", EmulatorFixture.reader, "--reader-secret",
                EmulatorFixture.readerSecret, "--guest-upn", EmulatorFixture.guestUPN, "--expected-users",
                "\(EmulatorFixture.directoryUsers.count)",
            ]
            let output: String
            do {
                output = try await Peers.runAsync(GraphSDK.python, arguments)
            } catch {
                Issue.record("Graph SDK cases failed: \(error)")
                return
            }
            let lines = output.split(separator: "\n").compactMap { try? StrictJSON.parseObject(Array($0.utf8)) }
            let cases = lines.filter { $0["case"] != nil }
            #expect(cases.count == 22)
            for line in cases where line["ok"] != .bool(true) {
                Issue.record("\(line["case"]?.stringValue ?? "?"): \(line["detail"]?.stringValue ?? "")")
            }
            #expect(!output.contains(EmulatorFixture.secret) && !output.contains(EmulatorFixture.readerSecret))
        }
    }
}
