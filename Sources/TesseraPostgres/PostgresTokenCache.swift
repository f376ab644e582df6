import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Tessera
import TesseraJOSE

/// The fleet's second-level token cache on PostgreSQL: one `UNLOGGED` row per cache key, the token sealed with
/// AES-GCM, single flight across replicas by lease (a conditional upsert with a fencing generation, never a lock held
/// across the HTTP call), fleet-wide `Retry-After`, `LISTEN/NOTIFY` with a polling backstop. Works behind PgBouncer in
/// transaction mode (unnamed statements only, each lease operation one statement; `LISTEN` on a direct connection).
///
/// A `Service`: run it (its `PostgresClient` and the `LISTEN` connection live in ``run()``) beside the
/// ``ConfidentialClient`` it serves, which takes it as ``ConfidentialClient/Configuration/sharedCache``:
///
/// ```swift
/// let cache = try PostgresTokenCache(configuration: .init(url: "postgres://tessera@db/tessera", keys: keys))
/// var configuration = ConfidentialClient.Configuration(clientID: …, authority: …, credential: …)
/// configuration.sharedCache = cache
/// let client = try ConfidentialClient(configuration: configuration)
/// // ServiceGroup(services: [cache, client], …)
/// ```
public final class PostgresTokenCache: SharedTokenCache, Service {
    /// The notification channel.
    static let channel = "tessera_token_cache"
    /// The advisory-lock key the schema migration holds (transaction-scoped: safe behind PgBouncer).
    static let migrationLock: Int64 = 0x7465_7373_6572_61

    /// What it was made with.
    public let configuration: Configuration
    let client: PostgresClient
    /// Whether ``run()`` runs the pool (else another cache's does).
    let ownsClient: Bool
    let logger: Logger
    /// The time expression every comparison in the SQL reads: `now()`, or the simulated clock.
    let now: String
    /// Finished once the schema is in place: every query waits for it (bounded by the caller's timeout).
    let schemaReady = SharedResult<Void>()
    let signals = ChangeSignals()
    /// Whether the `LISTEN` connection is up (else waiters only poll).
    let listening = Atomic<Bool>(false)

    /// A cache for this configuration, with its own pool; nothing connects before ``run()``.
    public convenience init(
        configuration: Configuration,
        logger: Logger = Logger(label: "tessera.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        let client = PostgresClient(
            configuration: configuration.endpoint.clientConfiguration(
                maximumConnections: configuration.maximumConnections
            ),
            backgroundLogger: logger
        )
        self.init(configuration: configuration, client: client, ownsClient: true, logger: logger)
    }

    /// A cache on `other`'s pool (several clients of one process, each its own lease owner, one set of
    /// connections): `other`'s ``run()`` runs the pool; this one's ``run()`` prepares nothing but its own `LISTEN`.
    public convenience init(
        configuration: Configuration,
        sharingPoolOf other: PostgresTokenCache,
        logger: Logger = Logger(label: "tessera.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.init(configuration: configuration, client: other.client, ownsClient: false, logger: logger)
    }

    private init(configuration: Configuration, client: PostgresClient, ownsClient: Bool, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.client = client
        self.ownsClient = ownsClient
        switch configuration.clock {
        case .database: now = "now()"
        case .simulated: now = "(SELECT at FROM tessera_clock WHERE id = 1)"
        }
    }

    /// Runs the pool, creates or migrates the schema, keeps the `LISTEN` connection up (reconnecting; after a
    /// reconnect every waiter re-reads) and removes expired rows, until graceful shutdown or cancellation.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            if ownsClient { group.addTask { await self.client.run() } }
            group.addTask {
                try? await cancelWhenGracefulShutdown {
                    await self.prepareSchema()
                    await withDiscardingTaskGroup { inner in
                        inner.addTask { await self.listen() }
                        inner.addTask { await self.cleanUp() }
                    }
                }
            }
            _ = await group.next()  // graceful shutdown or cancellation: the pool ends too
            group.cancelAll()
        }
        signals.fireAll()
    }

    /// Creates or migrates the schema (retrying until it works or the service ends): one transaction holding a
    /// transaction-scoped advisory lock, so replicas starting together do not race.
    func prepareSchema() async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(\(Self.migrationLock))",
                        logger: self.logger
                    )
                    for statement in TokenCacheSchema.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                    }
                }
                schemaReady.finish(.success(()))
                logger.info("token cache ready", metadata: ["url": "\(configuration.redactedURL)"])
                return
            } catch {
                logger.warning(
                    "token cache: cannot prepare the schema; retrying",
                    metadata: ["url": "\(configuration.redactedURL)", "error": "\(Self.describe(error))"]
                )
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }

    /// Removes rows whose token expired over an hour ago and that hold no live lease or shared failure.
    func cleanUp() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.cleanupInterval)
            guard !Task.isCancelled else { return }
            do {
                try await client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            DELETE FROM tessera_token_cache WHERE (expires_at IS NULL OR expires_at < \(now) - interval '1 hour')
                            AND lease_until < \(now) AND (throttle_until IS NULL OR throttle_until < \(now))
                            """
                    ),
                    logger: logger
                )
            } catch {
                logger.debug("token cache clean-up failed", metadata: ["error": "\(Self.describe(error))"])
            }
        }
    }

    /// Keeps a `LISTEN` connection open (unless ``Configuration/Listen/none``) and wakes the waiters of each notified
    /// key; reconnects after a second when it drops.
    func listen() async {
        let endpoint: Endpoint
        switch configuration.listen {
        case .none: return
        case .cacheServer: endpoint = configuration.endpoint
        case .url(let url):
            guard let parsed = try? Endpoint(url: url, environment: ProcessInfo.processInfo.environment) else {
                logger.warning(
                    "token cache: the LISTEN URL is not a postgres:// URL; waiters poll",
                    metadata: ["url": "\(Configuration.redact(url))"]
                )
                return
            }
            endpoint = parsed
        }
        var warned = false
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: try endpoint.connectionConfiguration(),
                    id: 0,
                    logger: logger
                )
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        listening.store(true, ordering: .releasing)
                        signals.fireAll()  // notifications missed while disconnected: every waiter re-reads
                        warned = false
                        for try await notification in notifications { signals.fire(notification.payload) }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if !warned && !Task.isCancelled {
                    logger.warning(
                        "token cache: the LISTEN connection is down; waiters poll until it is back",
                        metadata: ["error": "\(Self.describe(error))"]
                    )
                    warned = true
                }
            }
            listening.store(false, ordering: .releasing)
            signals.fireAll()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Moves the simulated clock (``Configuration/Clock/simulated``) to `time`.
    public func setSimulatedTime(_ time: Date) async throws {
        try await schemaReady.value()
        try await client.query(
            "INSERT INTO tessera_clock (id, at) VALUES (1, \(time)) ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at",
            logger: logger
        )
    }

    /// An error's kind and PostgreSQL's message, never a query's bindings.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            return "\(error.code)" + (error.serverInfo?[.message].map { ": \($0)" } ?? "")
        }
        return String(describing: type(of: error))
    }
}
