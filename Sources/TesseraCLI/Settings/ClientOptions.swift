import ArgumentParser
import Foundation
import Logging
import Tessera

/// Where the client's settings come from: flags, then the environment, then a configuration file.
struct ClientOptions: ParsableArguments {
    @Option(help: "The tenant (GUID or domain). Overrides AZURE_TENANT_ID and the file.")
    var tenant: String?

    @Option(help: "The application (client) ID. Overrides AZURE_CLIENT_ID and the file.")
    var clientId: String?

    @Option(help: "The cloud: public, usgovernment, china, or a host URL. Overrides AZURE_AUTHORITY_HOST and the file.")
    var authorityHost: String?

    @Option(
        help:
            "appsettings.json (Microsoft.Identity.Web's AzureAd section, or the low-level sample form). Also TESSERA_CONFIG."
    )
    var config: String?

    func configuration(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        caFile: String? = nil
    ) throws -> ConfidentialClient.Configuration {
        var flags: [String: String] = [:]
        flags[ClientSettings.tenant] = tenant
        flags[ClientSettings.client] = clientId
        flags[ClientSettings.authorityHost] = authorityHost
        return try ClientSettings(flags: flags, environment: environment, file: configFile(environment))
            .clientConfiguration(caFile: caFile)
    }

    /// `--config`, else `TESSERA_CONFIG`.
    func configFile(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        config ?? environment["TESSERA_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
