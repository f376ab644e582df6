import Foundation
import TesseraTestSupport
import Testing

/// The README's quick start is `Examples/QuickStart/main.swift` byte for byte, and that built binary (debug) lists the
/// users of a `tessera emulator` (a built binary too, stopped by a graceful-shutdown signal) and exits 0.
@Suite(
    "Examples/QuickStart: the README block, built and run against tessera emulator",
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI),
    .timeLimit(.minutes(3))
)
struct QuickStartExampleTests {
    var binary: String {
        ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
    }

    static let begin = "<!-- quick-start: "
    static let end = "<!-- /quick-start -->"

    /// The Swift block between the README's quick-start markers.
    static func readmeBlock(_ readme: String) -> String? {
        guard let marker = readme.range(of: begin),
            let close = readme.range(of: end, range: marker.upperBound..<readme.endIndex),
            let open = readme.range(of: "```swift\n", range: marker.upperBound..<close.lowerBound),
            let fence = readme.range(of: "```\n", options: .backwards, range: open.upperBound..<close.lowerBound)
        else { return nil }
        return String(readme[open.upperBound..<fence.lowerBound])
    }

    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test(
        "QuickStartExample lists tessera emulator's users and exits 0; the emulator stops on the signal and exits 0",
        arguments: [("SIGTERM", SIGTERM), ("SIGINT", SIGINT)]
    )
    func runsAgainstTheEmulator(signalName: String, signal: Int32) async throws {
        let example = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent(
            "QuickStartExample"
        )
        .path
        try #require(
            FileManager.default.isExecutableFile(atPath: example),
            "QuickStartExample is missing next to TESSERA_BIN: Scripts/test.sh builds every product before the tests"
        )
        let folder = NSTemporaryDirectory() + "tessera-quickstart-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = folder + "/state"
        let emulator = try Peers.spawn(
            binary,
            ["emulator", "--http", "--port", "0", "--state-dir", state],
            output: folder + "/emulator.out",
            errors: folder + "/emulator.err"
        )
        var emulatorStopped = false
        defer {
            if !emulatorStopped {
                kill(emulator, SIGKILL)  // it ignored the signal: never wait on it
                _ = waitpid(emulator, nil, 0)
            }
        }
        var connection: [String: Any]?
        for _ in 0..<300 where connection == nil {
            try await Task.sleep(for: .milliseconds(100))
            connection = (try? Data(contentsOf: URL(fileURLWithPath: state + "/connection.json"))).flatMap {
                try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
            }
        }
        let details = try #require(connection, "no connection.json; stderr: \(text(folder + "/emulator.err"))")
        let demo = try #require(details["demo"] as? [String: Any])
        let baseURL = try #require(details["baseURL"] as? String)
        let secret = try #require(demo["clientSecret"] as? String)

        let run = try Peers.spawn(
            example,
            [],
            environment: [
                "AZURE_TENANT_ID": try #require(demo["tenantId"] as? String),
                "AZURE_CLIENT_ID": try #require(demo["clientId"] as? String),
                "AZURE_CLIENT_SECRET": secret, "AZURE_AUTHORITY_HOST": baseURL,
            ],
            output: folder + "/out",
            errors: folder + "/err"
        )
        let code = await Peers.waitForExit(run, timeout: .seconds(60))
        if code == nil { Peers.stop(run) }
        let output = text(folder + "/out")
        #expect(code == 0, "stderr: \(text(folder + "/err"))")
        #expect(output.split(separator: "\n").count >= 2, "users on stdout: \(output)")
        #expect(!(output + text(folder + "/err")).contains(secret))

        kill(emulator, signal)
        let emulatorCode = await Peers.waitForExit(emulator, timeout: .seconds(20))
        emulatorStopped = emulatorCode != nil
        #expect(emulatorCode == 0, "\(signalName); stderr: \(text(folder + "/emulator.err"))")
        #expect(
            !text(folder + "/emulator.err").lowercased().contains("error"),
            "a graceful shutdown logs no error: \(text(folder + "/emulator.err"))"
        )
    }
}

/// The README's quick start and the example stay one text (no binary needed: runs on a plain `swift test` too).
@Suite("README quick start = Examples/QuickStart/main.swift")
struct QuickStartReadmeTests {
    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test("the README's quick-start block is Examples/QuickStart/main.swift byte for byte")
    func readmeMatchesExample() throws {
        let block = try #require(
            QuickStartExampleTests.readmeBlock(text(Peers.packageRoot + "/README.md")),
            "README.md has no quick-start markers"
        )
        let example = text(Peers.packageRoot + "/Examples/QuickStart/main.swift")
        #expect(!example.isEmpty)
        #expect(Array(block.utf8) == Array(example.utf8), "README block and Examples/QuickStart/main.swift differ")
    }
}
