import Foundation
import Tessera
import TesseraPostgres
import TesseraTestSupport
import Testing

/// `tessera token` (the built binary) with `TESSERA_TOKEN_CACHE`: a second process within the token's lifetime sends no
/// token request; an unreachable cache is a miss, never a failure, and its URL's password is never printed.
@Suite(
    "tessera token with the fleet cache (built binary, PostgreSQL 15)",
    .serialized,
    .enabled(
        if: (PostgresServer.isAvailable && ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil) || Peers.isCI
    ),
    .timeLimit(.minutes(3))
)
struct CLICacheTests {
    var binary: String {
        ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
    }

    func environment(_ server: TestTokenServer, cache: String, key: String) -> [String: String] {
        [
            "AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID, "AZURE_CLIENT_SECRET": testSecret,
            "AZURE_AUTHORITY_HOST": server.baseURL, "TESSERA_TOKEN_CACHE": cache, "TESSERA_TOKEN_CACHE_KEY": key,
            "TESSERA_LOG_LEVEL": "trace",
        ]
    }

    /// Runs `tessera token --scope …` to completion: exit status, stdout, stderr.
    func token(_ environment: [String: String]) async throws -> (Int32?, String, String) {
        let folder = NSTemporaryDirectory() + "tessera-cli-cache-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pid = try Peers.spawn(
            binary,
            ["token", "--scope", "api://reports/.default"],
            environment: environment,
            output: folder + "/out",
            errors: folder + "/err"
        )
        let code = await Peers.waitForExit(pid, timeout: .seconds(60))
        if code == nil { kill(pid, SIGKILL) }
        let out = (try? String(contentsOfFile: folder + "/out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: folder + "/err", encoding: .utf8)) ?? ""
        return (code, out, err)
    }

    @Test("a restarted process within the token's lifetime sends 0 token requests: the token comes from PostgreSQL")
    func restartWithinLifetime() async throws {
        let postgres = try FleetCacheTests.server.get()
        let url = try postgres.newDatabase()
        let key = TokenCacheKeys.newKeyLine()
        try await TestTokenServer.daemon().run { server in
            let (first, printed, errors) = try await token(environment(server, cache: url, key: key))
            #expect(first == 0, "stderr: \(errors)")
            #expect(server.tokenRequests.count == 1)
            let (second, again, secondErrors) = try await token(environment(server, cache: url, key: key))
            #expect(second == 0, "stderr: \(secondErrors)")
            #expect(again == printed, "the same token, from the shared cache")
            #expect(server.tokenRequests.count == 1, "no token request from the restarted process")
            #expect(!(errors + secondErrors).contains(testSecret))
            #expect(!(errors + secondErrors).contains(key))
        }
    }

    @Test("an unreachable cache: the token comes from the identity provider; the URL's password is never printed")
    func unreachableCache() async throws {
        let port = try Peers.freePort()
        let canary = "pw-canary-7f3a"
        try await TestTokenServer.daemon().run { server in
            let (code, printed, errors) = try await token(
                environment(
                    server,
                    cache: "postgres://tessera:\(canary)@127.0.0.1:\(port)/tessera?sslmode=disable",
                    key: TokenCacheKeys.newKeyLine()
                )
            )
            #expect(code == 0, "stderr: \(errors)")
            #expect(!printed.isEmpty)
            #expect(server.tokenRequests.count == 1)
            #expect(!errors.contains(canary), "stderr: \(errors)")
        }
    }

    @Test("tessera run restarted within the token's lifetime (daemon.json Cache section) sends 0 token requests")
    func daemonRestart() async throws {
        let postgres = try FleetCacheTests.server.get()
        let url = try postgres.newDatabase()
        let folder = NSTemporaryDirectory() + "tessera-run-cache-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let keyFile = folder + "/cache.keys"
        try TokenCacheKeys.newKeyLine().write(toFile: keyFile, atomically: true, encoding: .utf8)
        try await TestTokenServer.daemon().run { server in
            let config: [String: Any] = [
                "AzureAd": [
                    "Instance": server.baseURL + "/", "TenantId": tenantID, "ClientId": daemonClientID,
                    "ClientSecret": testSecret,
                ],
                "Cache": ["Url": url, "KeyFile": keyFile],
                "Daemon": [
                    "Jobs": [
                        [
                            "Name": "reports", "Url": server.baseURL + "/api/reports",
                            "Scopes": ["api://reports/.default"], "Schedule": "every 1s",
                            "Output": folder + "/out.jsonl",
                        ]
                    ]
                ],
            ]
            let path = folder + "/daemon.json"
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
            for run in 1...2 {
                let before = server.requests.filter { $0.path.hasSuffix("/api/reports") }.count
                let pid = try Peers.spawn(
                    binary,
                    ["run", "--config", path],
                    output: folder + "/run\(run).out",
                    errors: folder + "/run\(run).err"
                )
                // The job has run once it called the API (with a token: from the provider, or from PostgreSQL).
                var called = false
                for _ in 0..<600 where !called {
                    called = server.requests.filter { $0.path.hasSuffix("/api/reports") }.count > before
                    if !called { try await Task.sleep(for: .milliseconds(50)) }
                }
                kill(pid, SIGTERM)
                let code = await Peers.waitForExit(pid, timeout: .seconds(30))
                if code == nil { kill(pid, SIGKILL) }
                let errors = (try? String(contentsOfFile: folder + "/run\(run).err", encoding: .utf8)) ?? ""
                #expect(called, "run \(run) called the API; stderr: \(errors)")
                #expect(!errors.contains(testSecret))
            }
            #expect(server.tokenRequests.count == 1, "the restarted daemon's token came from PostgreSQL")
        }
    }
}
