import Foundation
import Logging
import Synchronization
import Tessera
import TesseraPostgres
import TesseraTestSupport
import Testing

/// Replicas (each its own ConfidentialClient, PostgresTokenCache, pool and lease owner) against a real PostgreSQL 15
/// (and PgBouncer in transaction mode) and a token endpoint that counts requests per key.
@Suite(
    "Fleet cache on PostgreSQL: single flight by lease, shared Retry-After, outages, tampered rows",
    .serialized,
    .enabled(if: PostgresServer.isAvailable || Peers.isCI),
    .timeLimit(.minutes(3))
)
struct FleetCacheTests {
    static let server = Result { try PostgresServer() }
    static let keyLine = TokenCacheKeys.newKeyLine()
    static let keys = try! TokenCacheKeys(text: keyLine, source: "test")
    static let scopes = ["api://one/.default", "api://two/.default", "api://three/.default"]

    var postgres: PostgresServer { get throws { try Self.server.get() } }

    /// Token requests the endpoint saw for `scope`.
    func requests(_ server: TestTokenServer, _ scope: String) -> Int {
        server.tokenRequests.filter { $0.form["scope"] == scope }.count
    }

    /// `count` replicas on `url`, their caches running, for the duration of `body`.
    func withReplicas<R: Sendable>(
        _ count: Int,
        url: String,
        server: TestTokenServer,
        keys: TokenCacheKeys = Self.keys,
        readTimeout: Duration = .seconds(2),
        listen: String? = nil,
        _ body: ([ConfidentialClient]) async throws -> R
    ) async throws -> R {
        let caches = try (0..<count).map { index in
            var configuration = try PostgresTokenCache.Configuration(url: url, keys: keys)
            configuration.leaseOwner = "replica-\(index)"
            if let listen { configuration.listen = .url(listen) }  // LISTEN bypasses PgBouncer
            return PostgresTokenCache(configuration: configuration)
        }
        let clients = try caches.map { cache in
            var configuration = ConfidentialClient.Configuration(
                clientID: daemonClientID,
                authority: try .microsoft(tenant: tenantID, cloud: .custom(server.baseURL)),
                credential: ClientSecretCredential(secret: testSecret)
            )
            configuration.sharedCache = cache
            configuration.cache.requestTimeout = .seconds(2)
            configuration.cache.sharedCacheReadTimeout = readTimeout
            return try ConfidentialClient(configuration: configuration)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for cache in caches { group.addTask { try await cache.run() } }
            defer { group.cancelAll() }
            // The replicas are up (connected, schema in place) before the test starts, as a running fleet's are.
            for cache in caches { _ = try await cache.read("warm-up") }
            do {
                let result = try await body(clients)
                for client in clients { try? await client.shutdown() }
                return result
            } catch {
                for client in clients { try? await client.shutdown() }
                throw error
            }
        }
    }

    /// Every replica's `callers` concurrent callers ask for every scope; the sources they got.
    func coldStart(_ clients: [ConfidentialClient], callers: Int) async throws -> [AccessToken.Source: Int] {
        try await withThrowingTaskGroup(of: AccessToken.Source.self) { group in
            for client in clients {
                for caller in 0..<callers {
                    let scope = Self.scopes[caller % Self.scopes.count]
                    group.addTask { try await client.token(for: TokenRequest(scope: scope)).source }
                }
            }
            var sources: [AccessToken.Source: Int] = [:]
            for try await source in group { sources[source, default: 0] += 1 }
            return sources
        }
    }

    @Test(
        "4 replicas × 250 concurrent callers, cold, 3 keys → exactly 3 token requests",
        arguments: ["direct", "PgBouncer (transaction pooling)"]
    )
    func singleFlightAcrossReplicas(path: String) async throws {
        let postgres = try postgres
        let direct = try postgres.newDatabase()
        let bouncer = path == "direct" ? nil : try PgBouncer(server: postgres)
        defer { bouncer?.stop() }
        let url = bouncer?.url(through: direct) ?? direct
        try await TestTokenServer.daemon().run { server in
            try await withReplicas(4, url: url, server: server, listen: bouncer == nil ? nil : direct) { clients in
                let sources = try await coldStart(clients, callers: 250)
                #expect(sources.values.reduce(0, +) == 1000)
                for scope in Self.scopes { #expect(requests(server, scope) == 1, "\(scope) on \(path)") }
                #expect(server.tokenRequests.count == 3)
                #expect(sources[.sharedCache, default: 0] >= 1, "replicas that did not fetch took the shared token")
            }
        }
    }

    @Test("one replica's 429 Retry-After is honoured by every replica; after it, one replica asks")
    func sharedRetryAfter() async throws {
        let url = try postgres.newDatabase()
        try await TestTokenServer.daemon().run { server in
            server.enqueue(
                .init(
                    status: 429,
                    headers: ["Content-Type": "application/json", "Retry-After": "2"],
                    body: #"{"error":"temporarily_unavailable","error_description":"AADSTS50196: throttled"}"#
                )
            )
            try await withReplicas(4, url: url, server: server) { clients in
                let scope = Self.scopes[0]
                let first = await expectIdentityError { _ = try await clients[0].token(scope: scope) }
                #expect(first?.code == .throttled)
                for client in clients.dropFirst() {
                    let error = await expectIdentityError { _ = try await client.token(scope: scope) }
                    #expect(error?.code == .throttled, "fails fast from the shared Retry-After")
                }
                #expect(requests(server, scope) == 1, "no replica asked while the Retry-After was in force")
                try await Task.sleep(for: .milliseconds(2300))
                let sources = try await withThrowingTaskGroup(of: AccessToken.Source.self) { group in
                    for client in clients { group.addTask { try await client.token(scope: scope).source } }
                    return try await group.reduce(into: [AccessToken.Source]()) { $0.append($1) }
                }
                #expect(sources.count == 4)
                #expect(requests(server, scope) == 2, "after it, one request from one replica")
            }
        }
    }

    @Test("PostgreSQL stopped mid-run: every caller still gets a token; restarted: the shared cache serves again")
    func databaseOutage() async throws {
        let postgres = try PostgresServer()  // its own: the other suites' server keeps running
        defer { postgres.remove() }
        let url = try postgres.newDatabase()
        try await TestTokenServer.daemon().run { server in
            try await withReplicas(2, url: url, server: server, readTimeout: .milliseconds(300)) { clients in
                _ = try await clients[0].token(scope: Self.scopes[0])
                postgres.stop()
                defer { try? postgres.start() }
                // L1 hits, and a new key through the identity provider: the outage costs a miss, not a failure.
                #expect(try await clients[0].token(scope: Self.scopes[0]).source == .cache)
                #expect(try await clients[1].token(scope: Self.scopes[1]).source == .identityProvider)
                try postgres.start()
                var shared = false
                for attempt in 0..<40 where !shared {
                    let scope = "api://after-\(attempt)/.default"
                    _ = try await clients[0].token(scope: scope)
                    shared = try await clients[1].token(scope: scope).source == .sharedCache
                    if !shared { try await Task.sleep(for: .milliseconds(250)) }
                }
                #expect(shared, "after the restart a token one replica fetched is served to the other from PostgreSQL")
            }
        }
    }

    @Test("a wrong key, a tampered ciphertext and two swapped rows are clean misses: a fresh token, never a crash")
    func unreadableRows() async throws {
        let postgres = try postgres
        let url = try postgres.newDatabase()
        let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
        try await TestTokenServer.daemon().run { server in
            try await withReplicas(1, url: url, server: server) { writer in
                for scope in Self.scopes.prefix(2) { _ = try await writer[0].token(scope: scope) }
            }
            // Another deployment's key names its rows differently: a miss, never a row it cannot open.
            let otherLine = TokenCacheKeys.newKeyLine()
            let otherKeys = try TokenCacheKeys(text: otherLine, source: "other")
            try await withReplicas(1, url: url, server: server, keys: otherKeys) { reader in
                let token = try await reader[0].token(scope: Self.scopes[0])
                #expect(token.source == .identityProvider)
            }
            #expect(requests(server, Self.scopes[0]) == 2)
            // A rotation: the new key first, the old one below it — the rows sealed under the old key still serve.
            let rotated = try TokenCacheKeys(text: TokenCacheKeys.newKeyLine() + "\n" + Self.keyLine, source: "rotated")
            try await withReplicas(1, url: url, server: server, keys: rotated) { reader in
                let token = try await reader[0].token(scope: Self.scopes[1])
                #expect(token.source == .sharedCache, "decrypted with the second key")
            }
            #expect(requests(server, Self.scopes[1]) == 1)
            // Swap the two rows' ciphertexts (AAD binds each to its own name), and tamper with one byte of another.
            try postgres.sql(
                """
                UPDATE tessera_token_cache AS a SET ciphertext = b.ciphertext, key_version = b.key_version
                FROM tessera_token_cache AS b WHERE a.cache_key <> b.cache_key
                """,
                database: database
            )
            try await withReplicas(1, url: url, server: server) { reader in
                for scope in Self.scopes.prefix(2) {
                    let token = try await reader[0].token(scope: scope)
                    #expect(token.source == .identityProvider, "\(scope): a swapped row is a miss")
                    #expect(token.scopes == [scope])
                }
            }
            try postgres.sql(
                "UPDATE tessera_token_cache SET ciphertext = set_byte(ciphertext, 20, get_byte(ciphertext, 20) # 1)",
                database: database
            )
            try await withReplicas(1, url: url, server: server) { reader in
                let source = try await reader[0].token(scope: Self.scopes[1]).source
                #expect(source == .identityProvider, "a tampered row is a miss")
            }
            #expect(requests(server, Self.scopes[1]) == 3)
        }
    }
}

/// A wall clock the test moves, shared by the replicas and the database (the simulated SQL clock).
final class MovableClock: Sendable {
    private let time = Mutex(Date())
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

extension FleetCacheTests {
    @Test("proactive refresh: one replica refreshes the key; the others take its token from PostgreSQL, no request")
    func coordinatedRefresh() async throws {
        let url = try postgres.newDatabase()
        let clock = MovableClock()
        try await TestTokenServer.daemon().run { server in
            let caches = try (0..<3).map { index in
                var configuration = try PostgresTokenCache.Configuration(url: url, keys: Self.keys)
                configuration.clock = .simulated
                configuration.leaseOwner = "replica-\(index)"
                return PostgresTokenCache(configuration: configuration)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for cache in caches { group.addTask { try await cache.run() } }
                defer { group.cancelAll() }
                try await caches[0].setSimulatedTime(clock.now)
                func configuration(_ cache: PostgresTokenCache) throws -> ConfidentialClient.Configuration {
                    var configuration = ConfidentialClient.Configuration(
                        clientID: daemonClientID,
                        authority: try .microsoft(tenant: tenantID, cloud: .custom(server.baseURL)),
                        credential: ClientSecretCredential(secret: testSecret)
                    )
                    configuration.sharedCache = cache
                    configuration.now = { clock.now }
                    configuration.cache.requestTimeout = .seconds(2)
                    configuration.cache.sharedCacheReadTimeout = .seconds(2)
                    return configuration
                }
                try await withConfidentialClient(configuration: try configuration(caches[0])) { first in
                    try await withConfidentialClient(configuration: try configuration(caches[1])) { second in
                        try await withConfidentialClient(configuration: try configuration(caches[2])) { third in
                            let clients = [first, second, third]
                            let scope = Self.scopes[0]
                            let original = try await first.token(scope: scope)
                            for client in clients.dropFirst() {
                                #expect(try await client.token(scope: scope).source == .sharedCache)
                            }
                            #expect(requests(server, scope) == 1)
                            // Past the refresh point (35–45% of 3599 s), well before the expiry buffer.
                            clock.advance(2000)
                            try await caches[0].setSimulatedTime(clock.now)
                            var renewed: [String] = []
                            for _ in 0..<80 where Set(renewed).count != 1 || renewed.first == original.token {
                                renewed = []
                                for client in clients {
                                    let token = try await client.token(scope: scope)
                                    #expect(token.source == .cache, "callers never wait for a proactive refresh")
                                    renewed.append(token.token)
                                }
                                clock.advance(0.3)  // past the poll interval: a replica that lost the claim looks again
                                try await caches[0].setSimulatedTime(clock.now)
                                try await Task.sleep(for: .milliseconds(50))
                            }
                            #expect(Set(renewed).count == 1 && renewed[0] != original.token, "every replica renewed")
                            #expect(requests(server, scope) == 2, "one refresh request for the fleet")
                        }
                    }
                }
            }
        }
    }
}
