import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE

/// The base URLs the emulator answers on (known once the port is bound): the first is the issuer's.
final class BaseURLs: Sendable {
    private let urls = Mutex<[String]>(["http://127.0.0.1"])
    var primary: String { urls.withLock { $0[0] } }
    var all: [String] { urls.withLock { $0 } }
    func set(_ values: [String]) { urls.withLock { $0 = values } }
}

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
        /// Reject a client assertion whose `jti` was already used (until it expires). Entra accepts reuse, and MSAL Python
        /// reuses its assertion for minutes, so this is opt-in. Default `false`.
        public var rejectReplayedAssertions = false
        /// The wall clock. Default: the system clock.
        public var now: @Sendable () -> Date = { Date() }
        /// The admin API's key. Default: a random one (see ``Emulator/adminKey`` and `connection.json`).
        public var adminKey: String?
        /// The App Service identity secret (`IDENTITY_HEADER`) `/msi/token` requires. Default: random (``Emulator/identityHeader``).
        public var identityHeader: String?
        /// Extra trust roots (PEM) for fetching federated issuers' discovery and keys over HTTPS. Default none.
        public var federationCAFile: String?
        /// Faults to inject from the start (more through `POST /admin/faults`).
        public var faults: [Fault] = []
        /// Write the directory to `<state>/directory.json` (0600) after every admin change. Default `true`.
        public var persistDirectory = true
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
    private let task: Mutex<Task<Void, any Error>?>

    private init(directory: Directory, caFile: String?, stateDirectory: String, base: BaseURLs, adminKey: String, identityHeader: String, faults: FaultInjector) {
        self.adminKey = adminKey
        self.identityHeader = identityHeader
        self.faults = faults
        self.directory = directory
        self.caFile = caFile
        self.stateDirectory = stateDirectory
        self.base = base
        self.task = Mutex(nil)
    }

    /// Starts the emulator on 127.0.0.1 and returns once it accepts connections.
    public static func start(
        _ model: DirectoryModel, options: Options = Options(),
        logger: Logger = Logger(label: "tessera.emulator", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> Emulator {
        let stateDirectory = options.stateDirectory ?? (NSTemporaryDirectory() + "tessera-emulator-" + UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let directory = try Directory(model)
        let keys = try await SigningKeys(stateDirectory: stateDirectory)
        let base = BaseURLs()
        let service = TokenService(
            directory: directory, keys: keys, base: base, tokenLifetime: options.tokenLifetime, lifetimeJitter: options.tokenLifetimeJitter,
            replays: options.rejectReplayedAssertions ? ReplayCache() : nil, now: options.now,
            federation: FederatedIssuers(keys: keys, base: base, caFile: options.federationCAFile))
        let adminKey = options.adminKey.flatMap { $0.isEmpty ? nil : $0 } ?? Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
        let faults = FaultInjector(options.faults)
        let router = Router(context: EmulatorRequestContext.self)
        router.add(middleware: FaultMiddleware(injector: faults))
        EmulatorRoutes(service: service, directory: directory, keys: keys, base: base).register(on: router)
        GraphAPI(directory: directory, keys: keys, base: base, now: options.now).register(on: router)
        let identityHeader = options.identityHeader ?? Base64URL.encode((0..<24).map { _ in UInt8.random(in: 0...255) })
        ManagedIdentityRoutes(service: service, directory: directory, identityHeader: identityHeader).register(on: router)
        let persistPath = stateDirectory + "/directory.json"
        let persistDirectory = options.persistDirectory
        let persist: @Sendable () -> Void = { if persistDirectory { Self.write(directory.snapshot(), to: persistPath) } }
        AdminRoutes(directory: directory, keys: keys, faults: faults, adminKey: adminKey, persist: persist).register(on: router)

        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let configuration = ApplicationConfiguration(address: .hostname("127.0.0.1", port: options.port), serverName: nil)
        let onRunning: @Sendable (any Channel) async -> Void = { channel in continuation.yield(channel.localAddress?.port ?? 0) }
        let caFile: String?
        let serve: @Sendable () async throws -> Void
        if options.https {
            let tls = try DevelopmentCA.serverTLS(stateDirectory: stateDirectory)
            caFile = tls.caFile
            let app = Application(router: router, server: try .tls(.http1(), tlsConfiguration: tls.configuration),
                                  configuration: configuration, onServerRunning: onRunning, logger: logger)
            serve = { try await app.run() }
        } else {
            caFile = nil
            let app = Application(router: router, configuration: configuration, onServerRunning: onRunning, logger: logger)
            serve = { try await app.run() }
        }
        let emulator = Emulator(directory: directory, caFile: caFile, stateDirectory: stateDirectory, base: base, adminKey: adminKey, identityHeader: identityHeader, faults: faults)
        let task = Task {
            defer { continuation.finish() }
            try await serve()
        }
        emulator.task.withLock { $0 = task }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await task.value
            throw EmulatorError("the emulator stopped before it was listening")
        }
        base.set(options.https
            ? ["https://localhost:\(port)", "https://127.0.0.1:\(port)"]
            : ["http://127.0.0.1:\(port)", "http://localhost:\(port)"])
        return emulator
    }

    /// Writes the directory (secrets included) with mode 0600.
    static func write(_ model: DirectoryModel, to path: String) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(model) {
            FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        }
    }

    /// Stops serving.
    public func stop() async {
        let task = self.task.withLock { $0 }
        task?.cancel()
        _ = await task?.result
    }

    /// Waits until the server stops (cancel the calling task to stop it).
    public func wait() async throws {
        let task = self.task.withLock { $0 }
        try await withTaskCancellationHandler {
            try await task?.value
        } onCancel: {
            task?.cancel()
        }
    }
}

public struct EmulatorError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The development CA (created once per state folder, so it is trusted once) and the loopback server certificate.
enum DevelopmentCA {
    static func serverTLS(stateDirectory: String) throws -> (caFile: String, configuration: TLSConfiguration) {
        let caFile = stateDirectory + "/ca.pem"
        let caKeyFile = stateDirectory + "/ca-key.pem"
        let authority: SigningCertificate
        if FileManager.default.fileExists(atPath: caFile), FileManager.default.fileExists(atPath: caKeyFile) {
            authority = try SigningCertificate.load(path: caFile, keyPath: caKeyFile)
        } else {
            authority = try CertificateFactory.certificateAuthority(commonName: "Tessera emulator development CA")
            try write(try authority.leaf.serializeAsPEM().pemString + "\n", to: caFile, mode: 0o644)
            try write(authority.privateKeyPEM + "\n", to: caKeyFile, mode: 0o600)
        }
        let serverFile = stateDirectory + "/server.pem"
        let server: SigningCertificate
        if let saved = try? SigningCertificate.load(path: serverFile), saved.leaf.notValidAfter > Date().addingTimeInterval(7 * 86_400),
           saved.chain.count > 1, saved.chain[1].publicKey == authority.leaf.publicKey {
            server = saved
        } else {
            server = try CertificateFactory.loopbackServer(issuedBy: authority)
            let pem = try server.chain.map { try $0.serializeAsPEM().pemString + "\n" }.joined() + server.privateKeyPEM + "\n"
            try write(pem, to: serverFile, mode: 0o600)
        }
        let chain = try server.chain.map { try NIOSSLCertificate(bytes: Array($0.serializeAsPEM().pemString.utf8), format: .pem) }
        let key = try NIOSSLPrivateKey(bytes: Array(server.privateKeyPEM.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        return (caFile, configuration)
    }

    static func write(_ text: String, to path: String, mode: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw EmulatorError("cannot write \(path): check the state folder's permissions")
        }
    }
}
