import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// `tessera run` and the Examples/ daemon as built binaries, against the emulator (HTTPS, development CA).
@Suite(
    "tessera run (built binary): jobs, SIGTERM, systemd notify, /healthz and /metrics",
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI)
)
struct DaemonProcessTests {
    var binary: String {
        ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
    }

    /// A scratch folder, removed after `body`.
    func withFolder<R>(_ body: (String) async throws -> R) async throws -> R {
        let folder = NSTemporaryDirectory() + "tessera-daemon-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await body(folder)
    }

    func withGraphEmulator<R: Sendable>(
        users: Int = 5,
        faults: [Fault] = [],
        _ body: (Emulator) async throws -> R
    ) async throws -> R {
        try await withEmulator(model: EmulatorFixture.model(users: users), configure: { $0.faults = faults }, body)
    }

    /// A daemon.json for one Graph job.
    func writeConfig(
        _ emulator: Emulator,
        folder: String,
        schedule: String,
        output: String,
        shutdownSeconds: Int = 10,
        top: Int = 2
    ) throws -> String {
        let config: [String: Any] = [
            "AzureAd": [
                "Instance": emulator.baseURL + "/", "TenantId": EmulatorFixture.contoso,
                "ClientId": EmulatorFixture.daemon, "ClientSecret": EmulatorFixture.secret,
            ],
            "DownstreamApis": [
                "Graph": ["BaseUrl": emulator.baseURL + "/v1.0/", "Scopes": ["https://graph.microsoft.com/.default"]]
            ],
            "Daemon": [
                "ShutdownTimeoutSeconds": shutdownSeconds,
                "Jobs": [
                    [
                        "Name": "users", "Api": "Graph", "RelativePath": "users?$top=\(top)", "Schedule": schedule,
                        "Output": output,
                    ]
                ],
            ],
        ]
        let path = folder + "/daemon.json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `tessera run --config <config>` with a test NOTIFY_SOCKET, waited for until it says READY=1.
    func startDaemon(
        config: String,
        folder: String,
        emulator: Emulator,
        arguments: [String] = [],
        environment: [String: String] = [:]
    ) async throws -> DaemonProcess {
        let socket = try NotifySocket(path: folder + "/notify.sock")
        let pid = try Peers.spawn(
            binary,
            ["run", "--config", config, "--ca-file", emulator.caFile!] + arguments,
            environment: environment.merging(["NOTIFY_SOCKET": socket.path]) { $1 },
            output: folder + "/out",
            errors: folder + "/err"
        )
        let process = DaemonProcess(pid: pid, socket: socket)
        #expect(await socket.waitFor("READY=1", timeout: .seconds(60)), "READY=1; stderr: \(text(folder + "/err"))")
        return process
    }

    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Waits until `condition` holds (polling), up to `timeout`.
    func eventually(_ timeout: Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }

    func get(_ url: String) async throws -> (Int, String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// The value of one Prometheus sample line (`name{labels} value`), 0 when absent.
    func sample(_ metrics: String, _ series: String) -> Double {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.split(separator: " ").last ?? "")
        } ?? 0
    }

    @Test("jobs on schedule write JSON lines; /healthz and /metrics move; READY, WATCHDOG, STOPPING; SIGTERM exits 0")
    func lifecycle() async throws {
        try await withGraphEmulator { emulator in
            try await withFolder { folder in
                let output = folder + "/users.jsonl"
                let config = try writeConfig(emulator, folder: folder, schedule: "every 1s", output: output)
                let daemon = try await startDaemon(
                    config: config,
                    folder: folder,
                    emulator: emulator,
                    arguments: ["--metrics-port", "0"],
                    environment: ["WATCHDOG_USEC": "400000"]
                )
                defer { daemon.kill() }
                let socket = daemon.socket
                var port = 0
                #expect(
                    await eventually {
                        let err = text(folder + "/err")
                        guard let range = err.range(of: "operator endpoint on http://127.0.0.1:") else { return false }
                        port = Int(err[range.upperBound...].prefix { $0.isNumber }) ?? 0
                        return port > 0
                    }
                )
                #expect(
                    await eventually { text(output).split(separator: "\n").count == 5 },
                    "stderr: \(text(folder + "/err"))"
                )
                let lines = text(output).split(separator: "\n")
                #expect(
                    try lines.map { try StrictJSON.parseObject(Array($0.utf8))["id"]?.stringValue } == [
                        "u1", "u2", "u3", "u4", "u5",
                    ]
                )

                let series = #"tessera_job_runs_total{job="users",result="success"}"#
                let (status, first) = try await get("http://127.0.0.1:\(port)/metrics")
                #expect(status == 200)
                let runs = sample(first, series)
                #expect(runs >= 1)
                #expect(
                    await eventually {
                        (try? await get("http://127.0.0.1:\(port)/metrics")).map { sample($0.1, series) >= runs + 2 }
                            ?? false
                    }
                )
                let (_, later) = try await get("http://127.0.0.1:\(port)/metrics")
                #expect(
                    sample(later, #"tessera_token_requests_total{result="success"}"#) == 1,
                    "one token for every run and page"
                )
                #expect(sample(later, "tessera_cache_hits_total") >= 5)
                #expect(sample(later, #"tessera_downstream_requests_total{result="2xx"}"#) >= 9)
                #expect(later.contains("tessera_job_duration_seconds"))
                #expect(!later.contains(EmulatorFixture.secret))
                let (health, body) = try await get("http://127.0.0.1:\(port)/healthz")
                #expect(health == 200)
                #expect(body.contains(#""status":"ok""#))

                #expect(await socket.waitFor("WATCHDOG=1", timeout: .seconds(5)))
                let (code, _) = await daemon.terminate()
                #expect(code == 0, "stderr: \(text(folder + "/err"))")
                #expect(await socket.waitFor("STOPPING=1", timeout: .seconds(2)))
                #expect(!text(folder + "/err").contains(EmulatorFixture.secret))
            }
        }
    }

    @Test("SIGTERM during a run: the run finishes within the shutdown timeout and its file is written")
    func drainsInFlightRun() async throws {
        try await withGraphEmulator(faults: [Fault(endpoint: "api", latencyMilliseconds: 1500)]) { emulator in
            try await withFolder { folder in
                let output = folder + "/users.jsonl"
                let config = try writeConfig(emulator, folder: folder, schedule: "every 1h", output: output, top: 100)
                let daemon = try await startDaemon(config: config, folder: folder, emulator: emulator)
                defer { daemon.kill() }
                try await Task.sleep(for: .milliseconds(300))
                #expect(!FileManager.default.fileExists(atPath: output), "the run is still in flight")
                let (code, _) = await daemon.terminate()
                #expect(code == 0, "stderr: \(text(folder + "/err"))")
                #expect(
                    text(output).split(separator: "\n").count == 5,
                    "the in-flight run completed; stderr: \(text(folder + "/err"))"
                )
            }
        }
    }

    @Test("a run longer than the shutdown timeout is cancelled and the daemon exits within the bound")
    func cancelsAfterTimeout() async throws {
        try await withGraphEmulator(faults: [Fault(endpoint: "api", latencyMilliseconds: 30_000)]) { emulator in
            try await withFolder { folder in
                let output = folder + "/users.jsonl"
                let config = try writeConfig(
                    emulator,
                    folder: folder,
                    schedule: "every 1h",
                    output: output,
                    shutdownSeconds: 1
                )
                let daemon = try await startDaemon(config: config, folder: folder, emulator: emulator)
                defer { daemon.kill() }
                try await Task.sleep(for: .milliseconds(500))
                let (code, elapsed) = await daemon.terminate()
                #expect(code == 0)
                #expect(
                    elapsed < .seconds(10),
                    "1 s timeout, generous slack for 2 cores; took \(elapsed); stderr: \(text(folder + "/err"))"
                )
                #expect(text(folder + "/err").contains("cancelled"))
                #expect(!FileManager.default.fileExists(atPath: output))
            }
        }
    }

    @Test(
        "configuration errors exit 2 and name the key",
        arguments: [
            (#"{"AzureAd":{"TenantId":"t","ClientId":"c","ClientSecret":"s"}}"#, "no Daemon section"),
            (
                #"{"AzureAd":{"TenantId":"t","ClientId":"c","ClientSecret":"s"},"Daemon":{"Jobs":[{"Url":"https://x/","Schedule":"every fortnight"}]}}"#,
                "Schedule 'every fortnight'"
            ),
            (
                #"{"AzureAd":{"TenantId":"t","ClientId":"c","ClientSecret":"s"},"Daemon":{"Jobs":[{"Name":"a"}]}}"#,
                "neither Api"
            ),
            (
                #"{"AzureAd":{"TenantId":"t","ClientId":"c","ClientSecret":"s"},"Daemon":{"Jobs":[{"Api":"Nope"}]}}"#,
                "DownstreamApis.Nope"
            ),
            (
                #"{"AzureAd":{"TenantId":"t","ClientId":"c","ClientSecret":"s"},"Daemon":{"Jobs":[{"Url":"https://api.contoso.example/reports"}]}}"#,
                "is not Microsoft Graph"
            ),
        ]
    )
    func configurationErrors(config: String, message: String) async throws {
        try await withFolder { folder in
            let path = folder + "/daemon.json"
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            let pid = try Peers.spawn(
                binary,
                ["run", "--config", path],
                output: folder + "/out",
                errors: folder + "/err"
            )
            #expect(await Peers.waitForExit(pid, timeout: .seconds(60)) == 2)
            #expect(text(folder + "/err").contains(message), "stderr: \(text(folder + "/err"))")
        }
    }

    @Test("Examples/UserSync: the ≤ 60-line daemon syncs the emulator's users and stops on SIGTERM")
    func example() async throws {
        let example = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("UserSyncExample")
            .path
        try #require(
            FileManager.default.isExecutableFile(atPath: example),
            "UserSyncExample is missing next to TESSERA_BIN: Scripts/test.sh builds every product before the tests"
        )
        try await withGraphEmulator(users: 3) { emulator in
            try await withFolder { folder in
                let pid = try Peers.spawn(
                    example,
                    [],
                    environment: [
                        "AZURE_TENANT_ID": EmulatorFixture.contoso, "AZURE_CLIENT_ID": EmulatorFixture.daemon,
                        "AZURE_CLIENT_SECRET": EmulatorFixture.secret,
                        "AZURE_AUTHORITY_HOST": emulator.baseURL, "TESSERA_CA_FILE": emulator.caFile!,
                        "SYNC_INTERVAL_SECONDS": "1",
                    ],
                    output: folder + "/out",
                    errors: folder + "/err"
                )
                var stopped = false
                defer { if !stopped { Peers.stop(pid) } }
                #expect(
                    await eventually { text(folder + "/out").split(separator: "\n").count >= 6 },
                    "two syncs; stderr: \(text(folder + "/err"))"
                )
                kill(pid, SIGTERM)
                let code = await Peers.waitForExit(pid, timeout: .seconds(20))
                stopped = code != nil
                #expect(code == 0)
                #expect(text(folder + "/out").contains("user2@contoso.example"))
            }
        }
        let lines = try String(contentsOfFile: "Examples/UserSync/UserSync.swift", encoding: .utf8).split(
            separator: "\n",
            omittingEmptySubsequences: false
        )
        #expect(lines.count <= 60)
    }
}
