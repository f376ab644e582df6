import Configuration

/// One client setting: its key in a `ConfigReader` (swift-configuration maps `azure.tenantId` to the environment
/// variable `AZURE_TENANT_ID`), where else it may be written, and an example for error messages.
struct SettingKey: Sendable {
    /// The key, dot-separated: `azure.tenantId`.
    let name: String
    /// The environment variable swift-configuration reads it from.
    let environment: String
    /// Its names in `appsettings.json` (Microsoft.Identity.Web's `AzureAd` section or the low-level sample form).
    let file: String
    /// A valid value.
    let example: String
    /// Whether the value is a secret (redacted in swift-configuration's access logs).
    let isSecret: Bool

    var configKey: ConfigKey { ConfigKey(name.split(separator: ".").map(String.init)) }

    static let tenant = SettingKey(
        name: "azure.tenantId",
        environment: "AZURE_TENANT_ID",
        file: "AzureAd.TenantId or Tenant",
        example: "contoso.onmicrosoft.com",
        isSecret: false
    )
    static let client = SettingKey(
        name: "azure.clientId",
        environment: "AZURE_CLIENT_ID",
        file: "AzureAd.ClientId or ClientId",
        example: "00000000-0000-0000-0000-000000000000",
        isSecret: false
    )
    static let secret = SettingKey(
        name: "azure.clientSecret",
        environment: "AZURE_CLIENT_SECRET",
        file: "AzureAd.ClientCredentials [{\"SourceType\": \"ClientSecret\"}] or ClientSecret",
        example: "the secret's Value from the app registration",
        isSecret: true
    )
    static let certificatePath = SettingKey(
        name: "azure.clientCertificatePath",
        environment: "AZURE_CLIENT_CERTIFICATE_PATH",
        file: "AzureAd.ClientCredentials [{\"SourceType\": \"Path\"}] or CertificatePath",
        example: "/etc/daemon/daemon.pfx",
        isSecret: false
    )
    static let certificatePassword = SettingKey(
        name: "azure.clientCertificatePassword",
        environment: "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        file: "AzureAd.ClientCredentials[].CertificatePassword or CertificatePassword",
        example: "the PFX file's password",
        isSecret: true
    )
    static let sendCertificateChain = SettingKey(
        name: "azure.clientSendCertificateChain",
        environment: "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
        file: "(environment only)",
        example: "true",
        isSecret: false
    )
    static let certificateBase64 = SettingKey(
        name: "azure.clientCertificateBase64",
        environment: "AZURE_CLIENT_CERTIFICATE_BASE64",
        file: "AzureAd.ClientCredentials [{\"SourceType\": \"Base64Encoded\", \"Base64EncodedValue\": …}]",
        example: "the PFX file, base64-encoded",
        isSecret: true
    )
    static let federatedTokenFile = SettingKey(
        name: "azure.federatedTokenFile",
        environment: "AZURE_FEDERATED_TOKEN_FILE",
        file: "AzureAd.ClientCredentials [{\"SourceType\": \"SignedAssertionFilePath\"}]",
        example: "/var/run/secrets/azure/tokens/azure-identity-token",
        isSecret: false
    )
    static let managedIdentityAssertion = SettingKey(
        name: "azure.managedIdentityAssertion",
        environment: "AZURE_MANAGED_IDENTITY_ASSERTION",
        file: "AzureAd.ClientCredentials [{\"SourceType\": \"SignedAssertionFromManagedIdentity\"}]",
        example: "system, or a user-assigned identity's client ID",
        isSecret: false
    )
    static let authorityHost = SettingKey(
        name: "azure.authorityHost",
        environment: "AZURE_AUTHORITY_HOST",
        file: "AzureAd.Instance",
        example: "https://login.microsoftonline.com, or public, usgovernment, china",
        isSecret: false
    )
    /// The region (Microsoft.Identity.Web's `AzureRegion`, azure-identity's `AZURE_REGIONAL_AUTHORITY_NAME`).
    static let region = SettingKey(
        name: "azure.regionalAuthorityName",
        environment: "AZURE_REGIONAL_AUTHORITY_NAME",
        file: "AzureAd.AzureRegion",
        example: "westus2, or TryAutoDetect (REGION_NAME)",
        isSecret: false
    )
    /// Where Azure hosts put the region: what MSAL's region auto-detection reads, here only for `TryAutoDetect`.
    static let regionName = SettingKey(
        name: "region.name",
        environment: "REGION_NAME",
        file: "(environment only)",
        example: "westus2",
        isSecret: false
    )

    /// Azure Identity's `AZURE_TOKEN_CREDENTIALS`: which steps of ``ChainedTokenSource/environment(_:only:http:logger:metricsFactory:)`` run.
    static let tokenCredentials = SettingKey(
        name: "azure.tokenCredentials",
        environment: "AZURE_TOKEN_CREDENTIALS",
        file: "(environment only)",
        example: "prod, or ManagedIdentityCredential",
        isSecret: false
    )

    /// Every key, for the providers' secrecy marks.
    static let all: [SettingKey] = [
        tenant, client, secret, certificatePath, certificatePassword, sendCertificateChain, certificateBase64,
        federatedTokenFile, managedIdentityAssertion, authorityHost, region, regionName, tokenCredentials,
    ]
}

extension ConfigReader {
    /// The setting's value, `nil` when unset or empty.
    func value(_ key: SettingKey) -> String? {
        string(forKey: key.configKey, isSecret: key.isSecret).flatMap { $0.isEmpty ? nil : $0 }
    }
}
