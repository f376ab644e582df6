import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TesseraEmulator
import TesseraJOSE

/// `tessera emulator`: the local identity platform, for MSAL, azure-identity and Tessera alike.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract:
            "Run a local Entra-compatible identity platform (client credentials, discovery, JWKS, admin consent).",
        discussion: """
            Serves HTTPS on 127.0.0.1 with a development CA it creates in the state folder (MSAL and azure-identity
            require https), or plain HTTP with --http. Connection details, secrets included, go to
            <state-dir>/connection.json (mode 0600), never to the terminal.

            Examples:
              tessera emulator                                   # a demo tenant and daemon app, HTTPS on a free port
              tessera emulator --port 8443 --config directory.json --state-dir ~/.tessera/emulator
              tessera emulator --http --port 8080
              tessera emulator --auto-consent                    # GET .../adminconsent grants at once (scripts)
            Then, for azure-identity: AZURE_AUTHORITY_HOST=<base URL>, REQUESTS_CA_BUNDLE=<ca.pem>,
            and disable_instance_discovery=True in code; for MSAL: authority=<base URL>/<tenant>, instance_discovery=False.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Port on 127.0.0.1 (0: a free one).")
    var port = 8443

    @Option(help: "Directory configuration (JSON: tenants, applications, grants). Default: a demo directory.")
    var config: String?

    @Option(help: "State folder (development CA, connection.json). Default: ~/.tessera/emulator.")
    var stateDir: String?

    @Flag(help: "Serve plain HTTP on loopback instead of HTTPS.")
    var http = false

    @Option(help: "Access-token lifetime in seconds.")
    var tokenLifetime = 3599

    @Option(help: "Shorten each token's lifetime by a random 0…N seconds.")
    var tokenLifetimeJitter = 0

    @Flag(help: "Reject client assertions whose jti was already used (Entra accepts reuse).")
    var rejectReplayedAssertions = false

    @Flag(help: "Grant admin consent on GET .../adminconsent, skipping the Accept page (scripts; a web page can too).")
    var autoConsent = false

    func run() async throws {
        let stateDirectory = stateDir ?? (NSHomeDirectory() + "/.tessera/emulator")
        do {
            try SecretFile.prepareFolder(stateDirectory)  // before anything in it is read
        } catch {
            throw ValidationError("the state folder \(error)")
        }
        let model: DirectoryModel
        var demoSecret: String?
        let persisted = stateDirectory + "/directory.json"
        if config == nil, FileManager.default.fileExists(atPath: persisted) {
            // The directory as the admin API last left it.
            do {
                model = try DirectoryModel.load(path: persisted)
            } catch {
                throw ValidationError(
                    "cannot load the saved directory '\(persisted)': \(error). Remove it to start from the demo directory."
                )
            }
        } else if let config {
            do {
                model = try DirectoryModel.load(path: config)
            } catch {
                throw ValidationError(
                    "cannot load the directory configuration '\(config)': \(error). See README, \"The emulator\"."
                )
            }
        } else {
            let secret = "demo~" + Base64URL.random(byteCount: 24)
            demoSecret = secret
            model = DemoDirectory.model(secret: secret)
        }
        var options = Emulator.Options()
        options.port = port
        options.https = !http
        options.stateDirectory = stateDirectory
        options.tokenLifetime = tokenLifetime
        options.tokenLifetimeJitter = tokenLifetimeJitter
        options.rejectReplayedAssertions = rejectReplayedAssertions
        options.autoConsent = autoConsent
        let emulator = try await Emulator.start(
            model,
            options: options,
            logger: global.makeLogger(label: "tessera.emulator")
        )
        let connectionFile = try ConnectionFile.write(emulator: emulator, model: model, demoSecret: demoSecret)
        print("Tessera emulator listening on \(emulator.baseURL)")
        if let caFile = emulator.caFile { print("Development CA: \(caFile)") }
        print("Connection details (settings for MSAL, azure-identity and tessera; secrets): \(connectionFile)")
        print("Press Ctrl-C to stop.")
        fflush(nil)
        // SIGTERM or SIGINT (Ctrl-C) shuts the group down gracefully: the emulator stops serving and the command exits 0.
        var lifecycle = ServiceGroupConfiguration(
            services: [.init(service: emulator)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: global.makeLogger(label: "tessera.emulator.lifecycle")
        )
        lifecycle.maximumGracefulShutdownDuration = .seconds(10)  // then the server is cancelled
        let group = ServiceGroup(configuration: lifecycle)
        do {
            try await group.run()
        } catch {
            await emulator.stop()
            throw error
        }
    }
}
