// A test-only replica of a fleet: one ConfidentialClient with the PostgreSQL shared cache, N concurrent callers over
// the given scopes, repeated in rounds; one JSON line per token (or error) on stdout. Configured by the environment:
// PROBE_AUTHORITY (a Microsoft-style base URL), PROBE_TENANT, PROBE_CLIENT_ID, PROBE_SECRET, PROBE_CACHE (postgres
// URL), PROBE_KEY (one base64 key), PROBE_SCOPES (comma-separated), PROBE_CALLERS (default 1), PROBE_ROUNDS (default 1),
// PROBE_INTERVAL_MS (between rounds, default 250), PROBE_READ_TIMEOUT_MS (default 2000), PROBE_OWNER (lease owner),
// PROBE_LISTEN (a direct URL for LISTEN when PROBE_CACHE is PgBouncer). PROBE_CACHE=file:///folder uses this host's
// FileTokenCache instead; with PROBE_MODE=writer the probe only rewrites one entry of it in a loop (claim, publish),
// printing {"ready":true} first — for tests that SIGKILL a writer mid-write.
import Foundation
import Tessera
import TesseraPostgres

@main
struct FleetProbe {
    static func main() async throws { try await probe() }

    /// The replica's work, off the main actor.
    nonisolated static func probe() async throws {
        let environment = ProcessInfo.processInfo.environment
        func setting(_ name: String) -> String {
            guard let value = environment[name], !value.isEmpty else {
                FileHandle.standardError.write(Data("FleetProbe: \(name) is not set\n".utf8))
                exit(2)
            }
            return value
        }
        func number(_ name: String, _ fallback: Int) -> Int { environment[name].flatMap { Int($0) } ?? fallback }

        if setting("PROBE_CACHE").hasPrefix("file://") {
            let keys = try TokenCacheKeys(text: setting("PROBE_KEY"), source: "PROBE_KEY")
            let cache = try FileTokenCache(
                folder: String(setting("PROBE_CACHE").dropFirst("file://".count)),
                keys: keys
            )
            if environment["PROBE_MODE"] == "writer" { try await write(cache) }
            return
        }
        var cacheConfiguration = try PostgresTokenCache.Configuration(
            url: setting("PROBE_CACHE"),
            keys: try TokenCacheKeys(text: setting("PROBE_KEY"), source: "PROBE_KEY")
        )
        if let owner = environment["PROBE_OWNER"] { cacheConfiguration.leaseOwner = owner }
        if let listen = environment["PROBE_LISTEN"], !listen.isEmpty { cacheConfiguration.listen = .url(listen) }
        let cache = PostgresTokenCache(configuration: cacheConfiguration)
        var configuration = ConfidentialClient.Configuration(
            clientID: setting("PROBE_CLIENT_ID"),
            authority: try .microsoft(tenant: setting("PROBE_TENANT"), cloud: .custom(setting("PROBE_AUTHORITY"))),
            credential: ClientSecretCredential(secret: setting("PROBE_SECRET"))
        )
        configuration.sharedCache = cache
        configuration.cache.requestTimeout = .seconds(2)
        configuration.cache.sharedCacheReadTimeout = .milliseconds(number("PROBE_READ_TIMEOUT_MS", 2000))
        let scopes = setting("PROBE_SCOPES").split(separator: ",").map(String.init)
        let callers = number("PROBE_CALLERS", 1)
        let rounds = number("PROBE_ROUNDS", 1)
        let interval = Duration.milliseconds(number("PROBE_INTERVAL_MS", 250))

        /// One caller's outcome as a JSON line.
        @Sendable func line(_ scope: String, _ result: Result<AccessToken, any Error>) -> String {
            switch result {
            case .success(let token): return #"{"scope":"\#(scope)","source":"\#(token.source)"}"#
            case .failure(let error as IdentityError): return #"{"scope":"\#(scope)","error":"\#(error.code)"}"#
            case .failure(let error): return #"{"scope":"\#(scope)","error":"\#(type(of: error))"}"#
            }
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cache.run() }
            _ = try await cache.read("warm-up")  // connected and the schema in place: a running replica
            try await withConfidentialClient(configuration: configuration) { client in
                print(#"{"ready":true}"#)
                fflush(nil)
                for round in 0..<rounds {
                    if round > 0 { try await Task.sleep(for: interval) }
                    let lines = await withTaskGroup(of: String.self) { callers_ in
                        for caller in 0..<callers {
                            let scope = scopes[caller % scopes.count]
                            callers_.addTask {
                                do {
                                    return line(
                                        scope,
                                        .success(try await client.token(for: TokenRequest(scope: scope)))
                                    )
                                } catch {
                                    return line(scope, .failure(error))
                                }
                            }
                        }
                        return await callers_.reduce(into: [String]()) { $0.append($1) }
                    }
                    print(lines.joined(separator: "\n"))
                    fflush(nil)
                }
            }
            group.cancelAll()
        }

    }

    /// Rewrites the entry of `probe-key` as fast as it can: claim, publish a new token (a bigger one every other time,
    /// so files differ in size), until killed.
    nonisolated static func write(_ cache: FileTokenCache) async throws {
        print(#"{"ready":true}"#)
        fflush(nil)
        var round = 0
        while true {
            round += 1
            let staleBefore = Date.distantFuture  // always claimable
            guard
                let lease = try await cache.claim(
                    "probe-key",
                    leaseDuration: .seconds(5),
                    staleBefore: staleBefore,
                    replacingUnreadable: true
                )
            else { continue }
            let token = AccessToken(
                token: "token-\(round)-" + String(repeating: "x", count: round % 2 == 0 ? 40 : 4000),
                expiresOn: Date(timeIntervalSinceNow: 3600),
                lifetime: 3600,
                scopes: ["api://reports/.default"]
            )
            _ = try await cache.publish(
                token,
                refreshAt: Date(timeIntervalSinceNow: 1800),
                for: "probe-key",
                lease: lease,
                replacingUnreadable: true
            )
        }
    }
}
