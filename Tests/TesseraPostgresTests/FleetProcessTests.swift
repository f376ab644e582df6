import Foundation
import Tessera
import TesseraPostgres
import TesseraTestSupport
import Testing

/// Replicas as processes (the `FleetProbe` binary, built beside `tessera`), one PostgreSQL, one token endpoint that
/// counts requests per key.
@Suite(
    "Fleet of processes (FleetProbe) on PostgreSQL: cold start, a killed lease holder, a shared Retry-After",
    .serialized,
    .enabled(
        if: (PostgresServer.isAvailable && ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil) || Peers.isCI
    ),
    .timeLimit(.minutes(3))
)
struct FleetProcessTests {
    var probe: String {
        let binary = ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
        return URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("FleetProbe").path
    }

    /// A running probe and where its output goes.
    struct Probe {
        let pid: pid_t
        let output: String
        var lines: [[String: String]] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.map { $0.compactMapValues { $0 as? String } }.filter { !$0.isEmpty }
        }
        var errors: String { (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? "" }
    }

    func start(
        _ server: TestTokenServer,
        cache: String,
        key: String,
        scopes: [String],
        callers: Int = 1,
        rounds: Int = 1,
        listen: String? = nil,
        folder: String,
        name: String
    ) throws -> Probe {
        try #require(FileManager.default.isExecutableFile(atPath: probe), "FleetProbe is missing next to TESSERA_BIN")
        let output = folder + "/" + name
        let pid = try Peers.spawn(
            probe,
            [],
            environment: [
                "PROBE_AUTHORITY": server.baseURL, "PROBE_TENANT": tenantID, "PROBE_CLIENT_ID": daemonClientID,
                "PROBE_SECRET": testSecret, "PROBE_CACHE": cache, "PROBE_KEY": key,
                "PROBE_SCOPES": scopes.joined(separator: ","), "PROBE_CALLERS": "\(callers)",
                "PROBE_ROUNDS": "\(rounds)",
                "PROBE_OWNER": name, "PROBE_LISTEN": listen ?? "",
            ],
            output: output,
            errors: output + ".err"
        )
        return Probe(pid: pid, output: output)
    }

    func finish(_ probe: Probe) async -> Int32? {
        let code = await Peers.waitForExit(probe.pid, timeout: .seconds(90))
        if code == nil {
            kill(probe.pid, SIGKILL)
            _ = waitpid(probe.pid, nil, 0)
        }
        return code
    }

    func withFolder<R>(_ body: (String) async throws -> R) async throws -> R {
        let folder = NSTemporaryDirectory() + "tessera-fleet-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await body(folder)
    }

    func requests(_ server: TestTokenServer, _ scope: String) -> Int {
        server.tokenRequests.filter { $0.form["scope"] == scope }.count
    }

    @Test(
        "4 processes × 250 concurrent callers, cold, 3 keys → exactly 3 token requests",
        arguments: ["direct", "PgBouncer (transaction pooling)"]
    )
    func coldFleet(path: String) async throws {
        let postgres = try FleetCacheTests.server.get()
        let direct = try postgres.newDatabase()
        let bouncer = path == "direct" ? nil : try PgBouncer(server: postgres)
        defer { bouncer?.stop() }
        let url = bouncer?.url(through: direct) ?? direct
        let key = TokenCacheKeys.newKeyLine()
        try await withFolder { folder in
            try await TestTokenServer.daemon().run { server in
                let probes = try (0..<4).map {
                    try start(
                        server,
                        cache: url,
                        key: key,
                        scopes: FleetCacheTests.scopes,
                        callers: 250,
                        listen: bouncer == nil ? nil : direct,  // LISTEN bypasses PgBouncer
                        folder: folder,
                        name: "replica-\($0)"
                    )
                }
                for probe in probes { #expect(await finish(probe) == 0, "stderr: \(probe.errors)") }
                let tokens = probes.flatMap { $0.lines }.filter { $0["source"] != nil }
                #expect(tokens.count == 1000)
                for scope in FleetCacheTests.scopes { #expect(requests(server, scope) == 1, "\(scope) on \(path)") }
                #expect(server.tokenRequests.count == 3)
            }
        }
    }

    @Test("the lease holder is SIGKILLed mid-request: the others get a token once its lease expires")
    func killedLeaseHolder() async throws {
        let url = try FleetCacheTests.server.get().newDatabase()
        let key = TokenCacheKeys.newKeyLine()
        let scope = FleetCacheTests.scopes[0]
        try await withFolder { folder in
            try await TestTokenServer.daemon().run { server in
                server.hold(.seconds(12))  // longer than the holder lives: it never gets its answer
                let holder = try start(server, cache: url, key: key, scopes: [scope], folder: folder, name: "holder")
                var asked = false
                for _ in 0..<600 where !asked {
                    asked = requests(server, scope) == 1
                    if !asked { try await Task.sleep(for: .milliseconds(50)) }
                }
                let claimed = ContinuousClock.now
                if !asked { kill(holder.pid, SIGKILL) }
                try #require(asked, "the holder never asked: \(holder.errors)")
                kill(holder.pid, SIGKILL)
                _ = waitpid(holder.pid, nil, 0)
                let followers = try (0..<2).map {
                    try start(server, cache: url, key: key, scopes: [scope], folder: folder, name: "follower-\($0)")
                }
                var secondRequestAt: ContinuousClock.Instant?
                for _ in 0..<600 where secondRequestAt == nil {
                    if requests(server, scope) >= 2 {
                        secondRequestAt = .now
                    } else {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                for follower in followers {
                    #expect(await finish(follower) == 0, "stderr: \(follower.errors)")
                    #expect(follower.lines.contains { $0["source"] != nil }, "a token: \(follower.lines)")
                }
                let sources = followers.flatMap { $0.lines }.compactMap { $0["source"] }
                #expect(sources.filter { $0 == "identityProvider" }.count == 1, "one follower fetched: \(sources)")
                #expect(requests(server, scope) == 2, "the dead holder's request and one follower's, after its lease")
                // The lease (the 2 s request timeout + 5 s) held the followers back until it expired.
                let waited = secondRequestAt.map { $0 - claimed } ?? .zero
                #expect(waited >= .seconds(5), "the followers waited for the lease to expire: \(waited)")
            }
        }
    }

    @Test("one process gets 429 Retry-After: 5; every process asks every 250 ms → none asks during it, then one")
    func sharedRetryAfter() async throws {
        let url = try FleetCacheTests.server.get().newDatabase()
        let key = TokenCacheKeys.newKeyLine()
        let scope = FleetCacheTests.scopes[1]
        try await withFolder { folder in
            try await TestTokenServer.daemon().run { server in
                server.enqueue(
                    .init(
                        status: 429,
                        headers: ["Content-Type": "application/json", "Retry-After": "5"],
                        body: #"{"error":"temporarily_unavailable","error_description":"throttled"}"#
                    )
                )
                let probes = try (0..<4).map {
                    try start(
                        server,
                        cache: url,
                        key: key,
                        scopes: [scope],
                        rounds: 32,
                        folder: folder,
                        name: "replica-\($0)"
                    )
                }
                for probe in probes { #expect(await finish(probe) == 0, "stderr: \(probe.errors)") }
                for probe in probes {
                    let outcomes = probe.lines.filter { $0["scope"] != nil }
                    #expect(
                        outcomes.filter { $0["error"] == "throttled" }.count >= 8,
                        "every replica failed fast, round after round, while it was in force: \(outcomes)"
                    )
                    #expect(outcomes.last?["source"] != nil, "and got the token after it: \(outcomes)")
                }
                #expect(requests(server, scope) == 2, "the throttled request, then one request from one replica")
            }
        }
    }
}
