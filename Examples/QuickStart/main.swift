import Configuration
import Tessera

struct User: Decodable {
    let id: String
    let displayName: String?
}

// The settings azure-identity reads: AZURE_TENANT_ID, AZURE_CLIENT_ID and one credential (AZURE_CLIENT_SECRET,
// AZURE_CLIENT_CERTIFICATE_PATH with _PASSWORD, or AZURE_FEDERATED_TOKEN_FILE); AZURE_AUTHORITY_HOST for another
// cloud or the emulator. Microsoft.Identity.Web's appsettings.json works too: add AppSettingsFile.provider(path:).
let settings = ConfigReader(provider: EnvironmentVariablesProvider())
let configuration = try ConfidentialClient.Configuration(configReader: settings)

// The client runs (proactive token refresh) for the closure's duration, then shuts down its one HTTP pool.
try await withConfidentialClient(configuration: configuration) { client in
    // Graph in the authority's cloud, on the client's pool: the token for Graph's scope, claims challenges,
    // Retry-After, paging, Graph errors typed.
    let graph = try DownstreamAPIClient(api: .graph(cloud: configuration.authority.cloud ?? .public), client: client)
    for user in try await graph.allPages("users?$select=id,displayName", of: User.self) {
        print(user.id, user.displayName ?? "")
    }
}
