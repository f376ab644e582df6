import Foundation
import Tessera
import TesseraJOSE
import TesseraTestSupport
import Testing

/// `tessera token` (the built binary) with `TESSERA_TOKEN_CACHE=file:///…`: restarts and cron runs without a token
/// request, one request for 8 cold processes, a folder that is not private is a warning (never exit 1), and a writer
/// killed mid-write never leaves a torn entry.
@Suite(
    "tessera token with the file cache (built binary)",
    .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI),
    .timeLimit(.minutes(3))
)
struct FileCacheCLITests {
    var binary: String {
        ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
    }

    /// A scratch folder (not the cache's) for outputs and the key file, and the cache folder inside a private one.
    func withFolders<R>(_ body: (_ scratch: String, _ cache: String) async throws -> R) async throws -> R {
        let scratch = NSTemporaryDirectory() + "tessera-file-cli-" + UUID().uuidString.prefix(8)
        try SecretFile.prepareFolder(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        return try await body(scratch, scratch + "/tokens")
    }

    func environment(_ server: TestTokenServer, cache: String, keyFile: String) -> [String: String] {
        [
            "AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID, "AZURE_CLIENT_SECRET": testSecret,
            "AZURE_AUTHORITY_HOST": server.baseURL, "TESSERA_TOKEN_CACHE": "file://" + cache,
            "TESSERA_TOKEN_CACHE_KEY_FILE": keyFile,
        ]
    }

    /// Starts `tessera token --scope …`; its output goes to `<scratch>/<name>` and `.err`.
    func startToken(_ environment: [String: String], scratch: String, name: String) throws -> pid_t {
        try Peers.spawn(
            binary,
            ["token", "--scope", "api://reports/.default"],
            environment: environment,
            output: scratch + "/" + name,
            errors: scratch + "/" + name + ".err"
        )
    }

    /// Runs `tessera token` to completion: exit status, stdout, stderr.
    func token(_ environment: [String: String], scratch: String, name: String) async throws -> (Int32?, String, String)
    {
        let pid = try startToken(environment, scratch: scratch, name: name)
        let code = await Peers.waitForExit(pid, timeout: .seconds(60))
        if code == nil { kill(pid, SIGKILL) }
        return (code, text(scratch + "/" + name), text(scratch + "/" + name + ".err"))
    }

    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    func keyFile(in scratch: String) throws -> String {
        let path = scratch + "/cache.keys"
        try SecretFile.write(Array((TokenCacheKeys.newKeyLine() + "\n").utf8), to: path)
        return path
    }

    @Test("tessera token twice in a row (cron): 1 token request, the same token printed; 0600 files in a 0700 folder")
    func twiceInARow() async throws {
        try await withFolders { scratch, cache in
            let keys = try keyFile(in: scratch)
            try await TestTokenServer.daemon().run { server in
                let (first, printed, errors) = try await token(
                    environment(server, cache: cache, keyFile: keys),
                    scratch: scratch,
                    name: "1"
                )
                #expect(first == 0, "stderr: \(errors)")
                let (second, again, more) = try await token(
                    environment(server, cache: cache, keyFile: keys),
                    scratch: scratch,
                    name: "2"
                )
                #expect(second == 0, "stderr: \(more)")
                #expect(again == printed && !printed.isEmpty)
                #expect(server.tokenRequests.count == 1)
                #expect(!(errors + more).contains(testSecret))
                let mode = { (path: String) in
                    ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
                        ?? -1) & 0o777
                }
                #expect(mode(cache) == 0o700)
                for file in try FileManager.default.contentsOfDirectory(atPath: cache) {
                    #expect(mode(cache + "/" + file) == 0o600, "\(file)")
                }
            }
        }
    }

    @Test("8 concurrent tessera token processes, cold: 1 token request")
    func eightCold() async throws {
        try await withFolders { scratch, cache in
            let keys = try keyFile(in: scratch)
            try await TestTokenServer.daemon().run { server in
                let environment = environment(server, cache: cache, keyFile: keys)
                let pids = try (0..<8).map { try startToken(environment, scratch: scratch, name: "p\($0)") }
                var printed: Set<String> = []
                for (index, pid) in pids.enumerated() {
                    let code = await Peers.waitForExit(pid, timeout: .seconds(90))
                    if code == nil { kill(pid, SIGKILL) }
                    #expect(code == 0, "stderr: \(text(scratch + "/p\(index).err"))")
                    printed.insert(text(scratch + "/p\(index)"))
                }
                #expect(server.tokenRequests.count == 1)
                #expect(printed.count == 1, "every process printed the one token")
            }
        }
    }

    @Test("an entry file made 0644: one warning naming it and chmod 600; the token still comes, exit 0")
    func looseMode() async throws {
        try await withFolders { scratch, cache in
            let keys = try keyFile(in: scratch)
            try await TestTokenServer.daemon().run { server in
                let environment = environment(server, cache: cache, keyFile: keys)
                #expect(try await token(environment, scratch: scratch, name: "1").0 == 0)
                let entry = try #require(
                    try FileManager.default.contentsOfDirectory(atPath: cache).first { $0.hasSuffix(".entry") }
                )
                chmod(cache + "/" + entry, 0o644)
                let (code, printed, errors) = try await token(environment, scratch: scratch, name: "2")
                #expect(code == 0, "stderr: \(errors)")
                #expect(!printed.isEmpty)
                #expect(errors.contains(cache + "/" + entry) && errors.contains("chmod 600"), "stderr: \(errors)")
                #expect(errors.components(separatedBy: "warning").count == 2, "one warning: \(errors)")
                #expect(server.tokenRequests.count == 2, "degraded: no file cache, a token request")
            }
        }
    }

    @Test(
        "a cache folder owned by another user: the warning names chown; exit 0 (needs root)",
        .enabled(if: geteuid() == 0)
    )
    func foreignFolder() async throws {
        try await withFolders { scratch, cache in
            let keys = try keyFile(in: scratch)
            try SecretFile.prepareFolder(cache)
            chown(cache, 65534, 65534)
            try await TestTokenServer.daemon().run { server in
                let (code, printed, errors) = try await token(
                    environment(server, cache: cache, keyFile: keys),
                    scratch: scratch,
                    name: "1"
                )
                #expect(code == 0, "stderr: \(errors)")
                #expect(!printed.isEmpty)
                #expect(errors.contains(cache) && errors.contains("chown"), "stderr: \(errors)")
            }
        }
    }

    @Test("a writer SIGKILLed in a loop while this process reads: the entry always loads (old or new, never torn)")
    func killedWriter() async throws {
        let probe = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("FleetProbe").path
        try #require(FileManager.default.isExecutableFile(atPath: probe), "FleetProbe is missing next to TESSERA_BIN")
        try await withFolders { scratch, cache in
            let keyLine = TokenCacheKeys.newKeyLine()
            let keys = try TokenCacheKeys(text: keyLine, source: "test")
            let reader = try FileTokenCache(folder: cache, keys: keys)
            var reads = 0
            var tokens: Set<String> = []
            for round in 0..<12 {
                let output = scratch + "/writer-\(round)"
                let pid = try Peers.spawn(
                    probe,
                    [],
                    environment: ["PROBE_CACHE": "file://" + cache, "PROBE_KEY": keyLine, "PROBE_MODE": "writer"],
                    output: output,
                    errors: output + ".err"
                )
                var ready = false
                for _ in 0..<400 where !ready {
                    ready = text(output).contains("ready")
                    if !ready { try await Task.sleep(for: .milliseconds(25)) }
                }
                #expect(ready, "writer \(round): \(text(output + ".err"))")
                let killAt = ContinuousClock.now + .milliseconds(Int64.random(in: 20...120))
                while ContinuousClock.now < killAt {
                    let entry = try await reader.read("probe-key")
                    #expect(entry?.unreadable != true, "a torn or unreadable entry after \(reads) reads")
                    if let token = entry?.token?.token {
                        tokens.insert(token)
                    } else if !tokens.isEmpty {
                        Issue.record("the entry went missing after \(reads) reads (not replaced atomically)")
                    }
                    reads += 1
                }
                kill(pid, SIGKILL)
                _ = await Peers.waitForExit(pid, timeout: .seconds(10))
                let after = try await reader.read("probe-key")
                #expect(after?.unreadable != true)
                #expect(tokens.isEmpty || after?.token != nil)
            }
            #expect(reads > 100 && tokens.count > 12, "reads \(reads), distinct tokens \(tokens.count)")
            // The killed writers' leases are gone with them: this process can claim at once.
            #expect(
                try await reader.claim(
                    "probe-key",
                    leaseDuration: .seconds(5),
                    staleBefore: .distantFuture,
                    replacingUnreadable: true
                ) != nil
            )
        }
    }
}
