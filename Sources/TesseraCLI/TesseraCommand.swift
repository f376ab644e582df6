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
            More commands (demo, call, decode, cert, emulator, validate, run) are on the way.
            """,
        version: Tessera.version,
        subcommands: [TokenCommand.self]
    )
}
