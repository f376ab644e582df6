import ArgumentParser
import Configuration
import Foundation
import Tessera

/// Where the client's settings come from: flags, then the environment (`AZURE_*`, `REGION_NAME`), then a
/// configuration file (`appsettings.json`) — layered by swift-configuration and read by the library
/// (``ConfidentialClient/Configuration/init(configReader:places:http:managedIdentityEndpoint:)``). The CLI adds only
/// its flags.
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

    /// The flags' setting keys, and how errors name them.
    static let flagNames = [
        "azure.tenantId": "--tenant", "azure.clientId": "--client-id", "azure.authorityHost": "--authority-host",
    ]

    /// The layered settings (flags > environment > file) and the names errors give their places.
    func settings(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (reader: ConfigReader, places: SettingPlaces) {
        var flags: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in [
            ("azure.tenantId", tenant), ("azure.clientId", clientId), ("azure.authorityHost", authorityHost),
        ] {
            if let value {
                flags[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(
                    .string(value),
                    isSecret: false
                )
            }
        }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: flags),
            EnvironmentVariablesProvider.ignoringEmptyValues(environment),
        ]
        let file = configFile(environment)
        if let file { providers.append(try AppSettingsFile.provider(path: file)) }
        let places = SettingPlaces(
            flags: Self.flagNames,
            file: file ?? "no configuration file (--config / TESSERA_CONFIG)"
        )
        return (ConfigReader(providers: providers), places)
    }

    /// The client configuration the settings describe.
    func configuration(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        caFile: String? = nil
    ) throws -> ConfidentialClient.Configuration {
        let (reader, places) = try settings(environment)
        var http = HTTPConfiguration()
        http.caFile = caFile
        return try ConfidentialClient.Configuration(
            configReader: reader,
            places: places,
            http: http,
            managedIdentityEndpoint: .fromEnvironment(environment)
        )
    }

    /// `--config`, else `TESSERA_CONFIG`.
    func configFile(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        config ?? environment["TESSERA_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
