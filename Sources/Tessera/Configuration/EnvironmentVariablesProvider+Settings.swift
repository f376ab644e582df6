import Configuration
import Foundation

extension EnvironmentVariablesProvider {
    /// The environment as azure-identity reads it: a variable set to the empty string counts as unset (so it never
    /// hides a value a later provider, such as `appsettings.json`, gives), and the client's secrets
    /// (`AZURE_CLIENT_SECRET`, `AZURE_CLIENT_CERTIFICATE_PASSWORD`, `AZURE_CLIENT_CERTIFICATE_BASE64`) are marked
    /// secret.
    public static func ignoringEmptyValues(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> EnvironmentVariablesProvider {
        EnvironmentVariablesProvider(
            environmentVariables: environment.filter { !$0.value.isEmpty },
            secretsSpecifier: .specific(Set(SettingKey.all.filter(\.isSecret).map(\.environment)))
        )
    }
}
