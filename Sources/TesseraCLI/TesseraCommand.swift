import ArgumentParser
import Foundation
import Logging
import Tessera

@main
struct TesseraCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "App-only tokens for daemons on the Microsoft identity platform and any OAuth 2.0 / OIDC server.",
        discussion: """
            Examples:
              tessera demo                                   # the whole scenario, offline
              AZURE_TENANT_ID=contoso.onmicrosoft.com AZURE_CLIENT_ID=… AZURE_CLIENT_SECRET=… \\
                tessera token --scope https://graph.microsoft.com/.default
              tessera emulator --http --port 8080
              tessera validate "$TOKEN" --jwks keys.json --issuer https://login.microsoftonline.com/<tid>/v2.0 --audience <api>
              tessera run --config daemon.json --metrics-port 9464   # jobs on schedules (see README, "Running as a daemon")
            """,
        version: TesseraVersion.version,
        subcommands: [
            DemoCommand.self, TokenCommand.self, CallCommand.self, DecodeCommand.self, CertCommand.self,
            ConsentURLCommand.self, EmulatorCommand.self, ValidateCommand.self, RunCommand.self, CacheCommand.self,
        ]
    )

    /// Runs the command; usage errors exit 2 (argument parser's own code is 64), as `tessera validate` documents.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
