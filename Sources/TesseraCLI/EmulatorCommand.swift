import ArgumentParser
import Foundation
import Logging
import TesseraEmulator
import TesseraJOSE

/// `tessera emulator`: the local identity platform, for MSAL, azure-identity and Tessera alike.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run a local Entra-compatible identity platform (client credentials, discovery, JWKS, admin consent).",
        discussion: """
            Serves HTTPS on 127.0.0.1 with a development CA it creates in the state folder (MSAL and azure-identity
            require https), or plain HTTP with --http. Connection details, secrets included, go to
            <state-dir>/connection.json (mode 0600), never to the terminal.

            Examples:
              tessera emulator                                   # a demo tenant and daemon app, HTTPS on a free port
              tessera emulator --port 8443 --config directory.json --state-dir ~/.tessera/emulator
              tessera emulator --http --port 8080
            Then, for azure-identity: AZURE_AUTHORITY_HOST=<base URL>, REQUESTS_CA_BUNDLE=<ca.pem>,
            and disable_instance_discovery=True in code; for MSAL: authority=<base URL>/<tenant>, instance_discovery=False.
            """)

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

    func run() async throws {
        let stateDirectory = stateDir ?? (NSHomeDirectory() + "/.tessera/emulator")
        let model: DirectoryModel
        var demoSecret: String?
        let persisted = stateDirectory + "/directory.json"
        if config == nil, FileManager.default.fileExists(atPath: persisted) {
            // The directory as the admin API last left it.
            do {
                model = try DirectoryModel.load(path: persisted)
            } catch {
                throw ValidationError("cannot load the saved directory '\(persisted)': \(error). Remove it to start from the demo directory.")
            }
        } else if let config {
            do {
                model = try DirectoryModel.load(path: config)
            } catch {
                throw ValidationError("cannot load the directory configuration '\(config)': \(error). See README, \"The emulator\".")
            }
        } else {
            let secret = "demo~" + Base64URL.encode((0..<24).map { _ in UInt8.random(in: 0...255) })
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
        let emulator = try await Emulator.start(model, options: options, logger: global.makeLogger(label: "tessera.emulator"))
        let connectionFile = try ConnectionFile.write(emulator: emulator, model: model, demoSecret: demoSecret)
        print("Tessera emulator listening on \(emulator.baseURL)")
        if let caFile = emulator.caFile { print("Development CA: \(caFile)") }
        print("Connection details (settings for MSAL, azure-identity and tessera; secrets): \(connectionFile)")
        print("Press Ctrl-C to stop.")
        fflush(nil)
        try await SignalWaiter.runUntilSignal { try await emulator.wait() }
        await emulator.stop()
    }
}

/// The demo directory `tessera emulator` serves without `--config`.
enum DemoDirectory {
    static let tenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
    static let daemon = "5e5d4a3b-2c1d-4e0f-9a8b-7c6d5e4f3a2b"

    static func model(secret: String) -> DirectoryModel {
        DirectoryModel(
            tenants: [.init(id: tenant, domains: ["contoso.example"], users: [
                .init(id: "0d6c8b0e-1a2b-4c3d-9e8f-000000000001", displayName: "Adele Vance", userPrincipalName: "adele@contoso.example"),
                .init(id: "0d6c8b0e-1a2b-4c3d-9e8f-000000000002", displayName: "Alex Wilber", userPrincipalName: "alex@contoso.example"),
            ])],
            applications: [.init(
                clientId: daemon, displayName: "demo daemon", homeTenant: tenant, multiTenant: true,
                secrets: [.init(value: secret, expires: Date().addingTimeInterval(365 * 86_400))],
                redirectUris: ["https://localhost/consent-done"],
                requiredResourceAccess: [.init(resource: "https://graph.microsoft.com", roles: ["User.Read.All"])])],
            grants: [.init(tenant: tenant, client: daemon, resource: "https://graph.microsoft.com", roles: ["User.Read.All"])])
    }
}

/// `<state-dir>/connection.json` (0600): where the emulator is and ready-to-use settings for each client library.
enum ConnectionFile {
    static func write(emulator: Emulator, model: DirectoryModel, demoSecret: String?) throws -> String {
        let path = emulator.stateDirectory + "/connection.json"
        let tenant = model.tenants.first?.id ?? ""
        let client = model.applications.first?.clientId ?? ""
        var object: [String: Any] = [
            "baseURL": emulator.baseURL,
            "adminKey": emulator.adminKey,
            "adminAPI": "\(emulator.baseURL)/admin (Authorization: Bearer <adminKey>)",
            "tenants": model.tenants.map { ["id": $0.id, "domains": $0.domains] },
            "applications": model.applications.map { ["clientId": $0.clientId, "displayName": $0.displayName] },
            "azureIdentity": [
                "AZURE_AUTHORITY_HOST": emulator.baseURL, "AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": client,
                "note": "pass disable_instance_discovery=True (and connection_verify=<caFile>) in code",
            ],
            "msal": ["authority": "\(emulator.baseURL)/\(tenant)", "client_id": client, "instance_discovery": false],
            "tessera": ["AZURE_AUTHORITY_HOST": emulator.baseURL, "TESSERA_CA_FILE": emulator.caFile ?? ""],
            "managedIdentity": [
                "IDENTITY_ENDPOINT": "\(emulator.baseURL)/msi/token", "IDENTITY_HEADER": emulator.identityHeader,
                "AZURE_POD_IDENTITY_AUTHORITY_HOST": emulator.baseURL,
            ],
        ]
        if let caFile = emulator.caFile {
            object["caFile"] = caFile
            object["azureIdentity"] = (object["azureIdentity"] as! [String: Any]).merging(["REQUESTS_CA_BUNDLE": caFile]) { $1 }
        }
        if let demoSecret {
            object["demo"] = ["tenantId": tenant, "clientId": client, "clientSecret": demoSecret, "scope": "https://graph.microsoft.com/.default"]
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        return path
    }
}

/// Runs `body` until SIGINT or SIGTERM, then cancels it.
enum SignalWaiter {
    static func runUntilSignal(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let task = Task { try await body() }
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            sources.append(source)
        }
        _ = await task.result
        sources.forEach { $0.cancel() }
    }
}
