import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import TesseraJOSE

/// A local identity platform that behaves like Entra ID for daemons. Start it in-process (tests, `tessera demo`) or
/// with `tessera emulator`.
public final class Emulator: Sendable {
    /// How to serve.
    public struct Options: Sendable {
        /// Loopback port; 0 picks a free one. Default 0.
        public var port = 0
        /// Serve HTTPS with a development CA (MSAL and azure-identity require https). Default `true`.
        public var https = true
        /// Where the development CA, server certificate and `connection.json` live. Default: a new temporary folder.
        public var stateDirectory: String?
        /// Access-token lifetime in seconds (Entra's usual for app tokens). Default 3599.
        public var tokenLifetime = 3599
        /// Randomise each token's lifetime by up to this many seconds less (as Entra does for user tokens). Default 0.
        public var tokenLifetimeJitter = 0
        /// Reject a client assertion whose `jti` was already used (until it expires). Entra accepts reuse, and MSAL
        /// Python reuses its assertion for minutes, so this is opt-in. Default `false`.
        public var rejectReplayedAssertions = false
        /// The wall clock. Default: the system clock.
        public var now: @Sendable () -> Date = { Date() }
        /// The admin API's key. Default: a random one (see ``Emulator/adminKey`` and `connection.json`).
        public var adminKey: String?
        /// The App Service identity secret (`IDENTITY_HEADER`) `/msi/token` requires. Default: random
        /// (``Emulator/identityHeader``).
        public var identityHeader: String?
        /// Extra trust roots (PEM) for fetching federated issuers' discovery and keys over HTTPS. Default none.
        public var federationCAFile: String?
        /// Faults to inject from the start (more through `POST /admin/faults`).
        public var faults: [Fault] = []
        /// Write the directory to `<state>/directory.json` (0600) after every admin or Graph change. Default `true`.
        public var persistDirectory = true
        /// Grant admin consent on the GET of `/{tenant}/adminconsent` itself, as before the consent page existed: for
        /// scripts and demos that drive consent with a plain HTTP client. Off, a GET shows the consent page and only
        /// its Accept form (or a POST with the admin key) grants — a web page the administrator visits cannot grant
        /// it behind their back. Default `false`.
        public var autoConsent = false
        /// The defaults: HTTPS on a free loopback port, a temporary state folder, 3599 s tokens, a random admin key and
        /// identity secret.
        public init() {}
    }

    /// The directory it serves.
    public let directory: Directory
    /// Where it listens, e.g. `https://localhost:50123`.
    public var baseURL: String { base.primary }
    /// The development CA to trust (HTTPS only).
    public let caFile: String?
    /// The state folder (CA, keys, `connection.json`).
    public let stateDirectory: String
    /// The admin API key (`Authorization: Bearer …`).
    public let adminKey: String
    /// The App Service managed-identity secret: what `IDENTITY_HEADER` must be for `{baseURL}/msi/token`.
    public let identityHeader: String
    /// Faults in force.
    let faults: FaultInjector

    let base: BaseURLs
    /// The server, a task owned here: ``stop()`` cancels and awaits it.
    private let tasks = OwnedTasks()
    /// How the server ended.
    private let served = SharedResult<Void>()
    /// Shuts the server down gracefully: it stops accepting, lets in-flight requests finish and closes idle
    /// connections.
    private let drain: @Sendable () async -> Void

    private init(
        directory: Directory,
        caFile: String?,
        stateDirectory: String,
        base: BaseURLs,
        adminKey: String,
        identityHeader: String,
        faults: FaultInjector,
        drain: @escaping @Sendable () async -> Void
    ) {
        self.drain = drain
        self.adminKey = adminKey
        self.identityHeader = identityHeader
        self.faults = faults
        self.directory = directory
        self.caFile = caFile
        self.stateDirectory = stateDirectory
        self.base = base
    }

    /// Starts the emulator on 127.0.0.1 and returns once it accepts connections.
    public static func start(
        _ model: DirectoryModel,
        options: Options = Options(),
        logger: Logger = Logger(label: "tessera.emulator", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> Emulator {
        let stateDirectory =
            options.stateDirectory ?? (NSTemporaryDirectory() + "tessera-emulator-" + UUID().uuidString.prefix(8))
        do {
            try SecretFile.prepareFolder(stateDirectory)
        } catch {
            throw EmulatorError("the state folder \(error)")
        }
        let directory = try Directory(model)
        let keys = try await SigningKeys(stateDirectory: stateDirectory)
        let base = BaseURLs()
        let service = TokenService(
            directory: directory,
            keys: keys,
            base: base,
            tokenLifetime: options.tokenLifetime,
            lifetimeJitter: options.tokenLifetimeJitter,
            replays: options.rejectReplayedAssertions ? ReplayCache() : nil,
            now: options.now,
            federation: FederatedIssuers(keys: keys, base: base, caFile: options.federationCAFile)
        )
        let adminKey =
            options.adminKey.flatMap { $0.isEmpty ? nil : $0 }
            ?? Base64URL.random(byteCount: 32)
        let faults = FaultInjector(options.faults)
        let router = Router(context: EmulatorRequestContext.self)
        // First: a request under another name (DNS rebinding) gets 421 before anything else runs.
        router.add(middleware: HostCheckMiddleware(defaultPort: options.https ? 443 : 80))
        router.add(middleware: FaultMiddleware(injector: faults))
        EmulatorRoutes(service: service, directory: directory, keys: keys, base: base).register(on: router)
        AdminConsentRoutes(
            directory: directory,
            tokens: ConsentTokens(),
            adminKey: adminKey,
            autoConsent: options.autoConsent,
            now: options.now
        ).register(on: router)
        // Admin and Graph changes are saved to the state folder, one save at a time.
        let saver = DirectorySaver(
            directory: directory,
            path: options.persistDirectory ? stateDirectory + "/directory.json" : nil,
            logger: logger
        )
        let persist: @Sendable () -> Void = { saver.save() }
        GraphRoutes(directory: directory, keys: keys, base: base, now: options.now, persist: persist).register(
            on: router
        )
        let identityHeader = options.identityHeader ?? Base64URL.random(byteCount: 24)
        ManagedIdentityRoutes(service: service, directory: directory, identityHeader: identityHeader).register(
            on: router
        )
        AdminRoutes(directory: directory, keys: keys, faults: faults, adminKey: adminKey, persist: persist).register(
            on: router
        )

        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let configuration = ApplicationConfiguration(
            address: .hostname("127.0.0.1", port: options.port),
            serverName: nil
        )
        let onRunning: @Sendable (any Channel) async -> Void = { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
        }
        let caFile: String?
        let serve: @Sendable () async throws -> Void
        let drain: @Sendable () async -> Void
        if options.https {
            let tls = try DevelopmentCA.serverTLS(stateDirectory: stateDirectory)
            caFile = tls.caFile
            let app = Application(
                router: router,
                server: try .tls(.http1(), tlsConfiguration: tls.configuration),
                configuration: configuration,
                onServerRunning: onRunning,
                logger: logger
            )
            (serve, drain) = Self.lifecycle(app, logger: logger)
        } else {
            caFile = nil
            let app = Application(
                router: router,
                configuration: configuration,
                onServerRunning: onRunning,
                logger: logger
            )
            (serve, drain) = Self.lifecycle(app, logger: logger)
        }
        let emulator = Emulator(
            directory: directory,
            caFile: caFile,
            stateDirectory: stateDirectory,
            base: base,
            adminKey: adminKey,
            identityHeader: identityHeader,
            faults: faults,
            drain: drain
        )
        let served = emulator.served
        emulator.tasks.start {
            defer { continuation.finish() }
            do {
                try await serve()
                served.finish(.success(()))
            } catch {
                served.finish(.failure(error))
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            await emulator.stop()  // cancelled before it listened: nothing is left running
            if case .failure(let error) = await emulator.outcome() { throw error }
            throw EmulatorError("the emulator stopped before it was listening")
        }
        base.set(
            options.https
                ? ["https://localhost:\(port)", "https://127.0.0.1:\(port)"]
                : ["http://127.0.0.1:\(port)", "http://localhost:\(port)"]
        )
        return emulator
    }

    /// Writes the directory (secrets included) through ``SecretFile`` (mode 0600 from the start).
    static func write(_ model: DirectoryModel, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SecretFile.write(Array(try encoder.encode(model)), to: path)
    }

    /// Stops serving: cancels the server and waits until it has stopped.
    public func stop() async {
        await tasks.shutdown()
    }

    /// Shuts the server down gracefully without waiting (a graceful-shutdown handler's way to stop it); ``wait()``
    /// returns once it has stopped.
    func stopServing() {
        let drain = self.drain
        tasks.start { await drain() }
    }

    /// The server as a `ServiceGroup` of one (no signals: the emulator's owner decides), so that it can be shut down
    /// gracefully rather than cancelled.
    static func lifecycle(
        _ application: some ApplicationProtocol & Service,
        logger: Logger
    ) -> (serve: @Sendable () async throws -> Void, drain: @Sendable () async -> Void) {
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: application)], gracefulShutdownSignals: [], logger: logger)
        )
        return ({ try await group.run() }, { await group.triggerGracefulShutdown() })
    }

    /// Waits until the server stops; cancelling the calling task stops it, and this returns once it has stopped.
    public func wait() async throws {
        do {
            try await served.value()
        } catch is CancellationError {
            await tasks.shutdown()
            if case .failure(let error) = await outcome(), !(error is CancellationError) { throw error }
            throw CancellationError()
        }
    }

    /// How the server ended (call once it has: after ``stop()``).
    func outcome() async -> Result<Void, any Error> {
        await withTaskGroup(of: Result<Void, any Error>.self) { group in
            group.addTask {
                do {
                    try await self.served.value()
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            return await group.next() ?? .success(())
        }
    }
}
