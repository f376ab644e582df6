import ArgumentParser
import Foundation
import Logging
import Tessera
import TesseraPostgres

/// `tessera token`: one app-only token from the `AZURE_*` environment, like `az account get-access-token`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Get an app-only access token and print it.",
        discussion: """
            Settings come from flags, then the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID and one of
            AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH (+ _PASSWORD, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN) or
            AZURE_FEDERATED_TOKEN_FILE; AZURE_AUTHORITY_HOST picks the cloud), then --config appsettings.json
            (AzureAd: Instance, TenantId, ClientId, ClientCredentials [{SourceType: ClientSecret | Path |
            Base64Encoded | SignedAssertionFilePath, …}]; or the sample form Instance "{0}", Tenant, ClientId, ClientSecret).

            Examples:
              tessera token --scope https://graph.microsoft.com/.default
              tessera token --scope api://my-api/.default --json
              AZURE_AUTHORITY_HOST=https://localhost:8443 tessera token --ca-file ~/.tessera/ca.pem
            """
    )

    @Option(help: "The scope, '{resource}/.default'.")
    var scope = "https://graph.microsoft.com/.default"

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print expiry and metadata as JSON instead of the bare token.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = global.makeLogger()
        let confidentialClient: ConfidentialClient
        let sharedCache: (any SharedTokenCache)?
        do {
            var configuration = try client.configuration(environment, caFile: global.resolvedCAFile)
            configuration.http.caFile = global.resolvedCAFile
            sharedCache = try TokenCacheSettings.cache(
                environment: environment,
                file: client.configFile(),
                logger: logger
            )
            configuration.sharedCache = sharedCache
            confidentialClient = try ConfidentialClient(configuration: configuration, logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        do {
            let token = try await TokenCacheSettings.withRunning(sharedCache) {
                try await confidentialClient.token(scope: scope)
            }
            try? await confidentialClient.shutdown()
            if json {
                let formatter = ISO8601DateFormatter()
                let object: [String: Any] = [
                    "accessToken": token.token, "tokenType": token.tokenType,
                    "expiresOn": formatter.string(from: token.expiresOn), "expiresIn": token.lifetime,
                    "tenant": token.tenant ?? NSNull(), "correlationId": token.correlationID ?? NSNull(),
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(token.token)
            }
        } catch {
            try? await confidentialClient.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
