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
              AZURE_TENANT_ID=contoso.onmicrosoft.com AZURE_CLIENT_ID=… AZURE_CLIENT_SECRET=… \\
                tessera token --scope https://graph.microsoft.com/.default
              tessera emulator --http --port 8080
            More commands (demo, call, decode, cert, validate, run) are on the way.
            """,
        version: Tessera.version,
        subcommands: [TokenCommand.self, EmulatorCommand.self]
    )
}
