// A daemon that syncs a tenant's users from Microsoft Graph on a schedule, as JSON lines on stdout. Try it: README,
// "Running as a daemon". Environment: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, optionally
// AZURE_AUTHORITY_HOST (a cloud name or URL, e.g. the emulator's), TESSERA_CA_FILE, SYNC_INTERVAL_SECONDS (300).
import Foundation
import Logging
import Tessera
import TesseraDaemon

struct User: Codable {
    let id: String
    let displayName: String?
    let userPrincipalName: String?
}

@main
struct UserSync {
    static func main() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "user-sync")
        let environment = ProcessInfo.processInfo.environment
        guard let tenant = environment["AZURE_TENANT_ID"], let clientID = environment["AZURE_CLIENT_ID"],
            let secret = environment["AZURE_CLIENT_SECRET"]
        else {
            logger.critical("set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET")
            exit(2)
        }
        let cloud = try AzureCloud.named(environment["AZURE_AUTHORITY_HOST"] ?? "public")
        var configuration = ConfidentialClient.Configuration(
            clientID: clientID,
            authority: try .microsoft(tenant: tenant, cloud: cloud),
            credential: ClientSecretCredential(secret: secret)
        )
        configuration.http.caFile = environment["TESSERA_CA_FILE"]
        let client = try ConfidentialClient(configuration: configuration, logger: logger)
        // Graph calls share the client's HTTP pool (and its CA file): nothing else to shut down.
        let graph = try DownstreamAPIClient(api: .graph(cloud: cloud), client: client, logger: logger)
        let interval = Int(environment["SYNC_INTERVAL_SECONDS"] ?? "") ?? 300
        let sync = DaemonJob(name: "sync-users", schedule: .every(.seconds(interval))) { context in
            let users = try await graph.allPages("users?$top=100", of: User.self)
            let lines = try users.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) + "\n" }
            FileHandle.standardOutput.write(Data(lines.joined().utf8))
            context.logger.info("synced users", metadata: ["count": "\(users.count)"])
        }
        // The client runs in the daemon's ServiceGroup: refreshed proactively, shut down after the jobs.
        var daemon = Daemon.Configuration()
        daemon.services = [client]
        do {
            try await Daemon(jobs: [sync], configuration: daemon, logger: logger).run()
        } catch {
            logger.error("stopped: \(error)")
        }
    }
}
