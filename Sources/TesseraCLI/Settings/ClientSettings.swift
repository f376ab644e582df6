import Configuration
import Foundation
import Tessera
import TesseraJOSE

/// The client's settings from three layers, highest first: command-line flags, the environment (`AZURE_*`, as
/// azure-identity reads it), and a file — Microsoft.Identity.Web's `appsettings.json` (`AzureAd` with
/// `ClientCredentials`) or the low-level sample form (`Instance` with `{0}`, `Tenant`, `ClientId`, `ClientSecret`).
/// swift-configuration does the layering (and redacts secrets in its access logs); `AppSettingsFile` adapts the JSON,
/// whose arrays of objects and case-insensitive keys it cannot read itself.
struct ClientSettings {
    static let tenant = "azure.tenantId", client = "azure.clientId", secret = "azure.clientSecret"
    static let certificatePath = "azure.clientCertificatePath", certificatePassword = "azure.clientCertificatePassword"
    static let sendChain = "azure.clientSendCertificateChain", authorityHost = "azure.authorityHost"
    static let tokenFile = "azure.federatedTokenFile", certificateBase64 = "azure.clientCertificateBase64"
    /// Microsoft.Identity.Web's `SignedAssertionFromManagedIdentity`: `system` or a user-assigned identity's client ID.
    static let managedIdentityAssertion = "azure.managedIdentityAssertion"
    /// Microsoft.Identity.Web's `AzureRegion` (a region name); `REGION_NAME` is read by the library itself.
    static let region = "azure.region"

    let reader: ConfigReader
    let fileDescription: String
    let environment: [String: String]

    init(flags: [String: String], environment: [String: String], file: String?) throws {
        self.environment = environment
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: Self.values(flags)),
            EnvironmentVariablesProvider(
                environmentVariables: environment.filter { $0.key.hasPrefix("AZURE_") && !$0.value.isEmpty },
                secretsSpecifier: .specific(["AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD"])
            ),
        ]
        if let file {
            providers.append(
                InMemoryProvider(name: file, values: Self.values(try AppSettingsFile.settings(path: file)))
            )
            fileDescription = file
        } else {
            fileDescription = "no configuration file (--config / TESSERA_CONFIG)"
        }
        reader = ConfigReader(providers: providers)
    }

    static func values(_ settings: [String: String]) -> [AbsoluteConfigKey: ConfigValue] {
        Dictionary(
            uniqueKeysWithValues: settings.map { key, value in
                (
                    AbsoluteConfigKey(key.split(separator: ".").map(String.init)),
                    ConfigValue(
                        .string(value),
                        isSecret: [secret, certificatePassword, certificateBase64].contains(key)
                    )
                )
            }
        )
    }

    func value(_ key: String, secret: Bool = false) -> String? {
        reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init)), isSecret: secret).flatMap {
            $0.isEmpty ? nil : $0
        }
    }

    func require(_ key: String, flag: String, environment: String, file: String, example: String) throws -> String {
        guard let value = value(key) else {
            throw SettingError(
                "\(key) is not set: looked in \(flag), \(environment) and \(fileDescription) (\(file)); e.g. \(example)"
            )
        }
        return value
    }

    /// The client configuration these settings describe.
    func clientConfiguration(caFile: String? = nil) throws -> ConfidentialClient.Configuration {
        let tenantID = try require(
            Self.tenant,
            flag: "--tenant",
            environment: "AZURE_TENANT_ID",
            file: "AzureAd.TenantId or Tenant",
            example: "contoso.onmicrosoft.com"
        )
        let clientID = try require(
            Self.client,
            flag: "--client-id",
            environment: "AZURE_CLIENT_ID",
            file: "AzureAd.ClientId or ClientId",
            example: "00000000-0000-0000-0000-000000000000"
        )
        var cloud = AzureCloud.public
        if let host = value(Self.authorityHost) {
            do {
                cloud = try AzureCloud.named(host)
            } catch {
                throw SettingError(
                    "\(Self.authorityHost) (--authority-host, AZURE_AUTHORITY_HOST, AzureAd.Instance) is not valid: \(error.message)"
                )
            }
        }
        let credential: any ClientCredential
        if let secret = value(Self.secret, secret: true) {
            credential = ClientSecretCredential(secret: secret)
        } else if let path = value(Self.certificatePath) {
            var options = ClientCertificateCredential.AssertionOptions()
            options.sendCertificateChain = ["1", "true"].contains(value(Self.sendChain)?.lowercased() ?? "")
            credential = try ClientCertificateCredential.load(
                path: path,
                password: value(Self.certificatePassword, secret: true),
                options: options
            )
        } else if let base64 = value(Self.certificateBase64, secret: true) {
            guard let bytes = Data(base64Encoded: base64) else {
                throw SettingError("ClientCredentials Base64EncodedValue is not base64 PFX data")
            }
            do {
                credential = ClientCertificateCredential(
                    certificate: try SigningCertificate.fromPKCS12(
                        Array(bytes),
                        password: value(Self.certificatePassword, secret: true)
                    )
                )
            } catch {
                throw SettingError("the Base64Encoded certificate could not be loaded: \(error.message)")
            }
        } else if let file = value(Self.tokenFile) {
            credential = ClientAssertionCredential(file: file)
        } else if let identity = value(Self.managedIdentityAssertion) {
            var http = HTTPConfiguration()
            http.caFile = caFile
            let source = try ManagedIdentityTokenSource(
                identity: identity.lowercased() == "system" ? .system : .clientID(identity),
                endpoint: .fromEnvironment(environment),
                http: http
            )
            credential = ClientAssertionCredential.managedIdentity(source.cached())
        } else {
            throw SettingError(
                "no credential: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH (a PEM or PFX file) or AZURE_FEDERATED_TOKEN_FILE, "
                    + "or AzureAd.ClientCredentials in \(fileDescription), e.g. [{\"SourceType\": \"ClientSecret\", \"ClientSecret\": \"…\"}] (also Path, Base64Encoded, "
                    + "SignedAssertionFilePath, SignedAssertionFromManagedIdentity)"
            )
        }
        var configuration = ConfidentialClient.Configuration(
            clientID: clientID,
            authority: try .microsoft(tenant: tenantID, cloud: cloud),
            credential: credential
        )
        if let region = value(Self.region), region.lowercased() != "tryautodetect" {
            do {
                configuration.region = try AzureRegion.named(region)
            } catch {
                throw SettingError("AzureAd.AzureRegion is not valid: \(error.message)")
            }
        }
        return configuration
    }

    struct SettingError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
