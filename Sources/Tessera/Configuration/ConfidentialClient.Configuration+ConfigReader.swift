import Configuration
import Foundation
import TesseraJOSE

extension ConfidentialClient.Configuration {
    /// The client's settings from `configReader` — the environment azure-identity reads (`AZURE_*`),
    /// Microsoft.Identity.Web's `appsettings.json` (through ``AppSettingsFile/provider(path:)``), flags, in the
    /// reader's order.
    ///
    /// ```swift
    /// let settings = ConfigReader(providers: [EnvironmentVariablesProvider(), try AppSettingsFile.provider(path: "appsettings.json")])
    /// let client = try ConfidentialClient(configuration: .init(configReader: settings))
    /// ```
    ///
    /// ## Configuration keys (environment variable in parentheses)
    /// - `azure.tenantId` (`AZURE_TENANT_ID`), `azure.clientId` (`AZURE_CLIENT_ID`): required.
    /// - One credential, the first of: `azure.clientSecret` (`AZURE_CLIENT_SECRET`); `azure.clientCertificatePath`
    ///   (`AZURE_CLIENT_CERTIFICATE_PATH`, PEM or PFX) with `azure.clientCertificatePassword` and
    ///   `azure.clientSendCertificateChain`; `azure.clientCertificateBase64` (a PFX); `azure.federatedTokenFile`
    ///   (`AZURE_FEDERATED_TOKEN_FILE`); `azure.managedIdentityAssertion` (`system` or a client ID: a managed
    ///   identity's token as the federated assertion, Microsoft.Identity.Web's `SignedAssertionFromManagedIdentity`).
    /// - `azure.authorityHost` (`AZURE_AUTHORITY_HOST`): a cloud name or URL. Default the public cloud.
    /// - `azure.regionalAuthorityName` (`AZURE_REGIONAL_AUTHORITY_NAME`; `AzureAd.AzureRegion` in the file): the
    ///   regional token service, a region name or `TryAutoDetect`, which reads `region.name` (`REGION_NAME`, set on
    ///   Azure hosts). Default none: `REGION_NAME` alone turns nothing on (MSAL's rule: regions are opt-in).
    ///
    /// - Parameters:
    ///   - configReader: where the settings are read.
    ///   - places: how the application names its flags and file, for error messages.
    ///   - http: HTTP settings, also for the managed identity endpoint. Default ``HTTPConfiguration/init()``.
    ///   - managedIdentityEndpoint: where a managed-identity assertion comes from. Default: from the environment.
    /// - Throws: ``IdentityError/Code/invalidConfiguration`` naming the key, every place it was looked for and an
    ///   example; a credential's own error when its file does not load.
    public init(
        configReader: ConfigReader,
        places: SettingPlaces = SettingPlaces(),
        http: HTTPConfiguration = HTTPConfiguration(),
        managedIdentityEndpoint: @autoclosure () -> ManagedIdentityTokenSource.Endpoint = .fromEnvironment()
    ) throws(IdentityError) {
        guard let tenant = configReader.value(.tenant) else { throw places.missing(.tenant) }
        guard let clientID = configReader.value(.client) else { throw places.missing(.client) }
        let cloud = try Self.cloud(configReader, places: places)
        let credential = try Self.credential(
            configReader,
            places: places,
            http: http,
            managedIdentityEndpoint: managedIdentityEndpoint
        )
        self.init(clientID: clientID, authority: try .microsoft(tenant: tenant, cloud: cloud), credential: credential)
        self.http = http
        self.region = try Self.region(configReader, places: places)
    }

    /// `azure.authorityHost`, else the public cloud.
    static func cloud(_ reader: ConfigReader, places: SettingPlaces) throws(IdentityError) -> AzureCloud {
        guard let host = reader.value(.authorityHost) else { return .public }
        do {
            return try AzureCloud.named(host)
        } catch {
            throw places.invalid(.authorityHost, error.message)
        }
    }

    /// `azure.regionalAuthorityName`, where `TryAutoDetect` means `region.name` (`REGION_NAME`); none when unset.
    static func region(_ reader: ConfigReader, places: SettingPlaces) throws(IdentityError) -> AzureRegion? {
        var key = SettingKey.region
        guard var name = reader.value(.region) else { return nil }
        if name.lowercased() == "tryautodetect" {
            key = .regionName
            guard let detected = reader.value(.regionName) else { return nil }
            name = detected
        }
        do {
            return try AzureRegion.named(name)
        } catch {
            throw places.invalid(key, error.message)
        }
    }

    /// The first credential that is configured: secret, certificate file, base64 certificate, federated token file,
    /// managed-identity assertion.
    static func credential(
        _ reader: ConfigReader,
        places: SettingPlaces,
        http: HTTPConfiguration,
        managedIdentityEndpoint: () -> ManagedIdentityTokenSource.Endpoint
    ) throws(IdentityError) -> any ClientCredential {
        if let secret = reader.value(.secret) { return ClientSecretCredential(secret: secret) }
        if let path = reader.value(.certificatePath) {
            var options = ClientCertificateCredential.AssertionOptions()
            options.sendCertificateChain = ["1", "true"].contains(reader.value(.sendCertificateChain)?.lowercased())
            return try ClientCertificateCredential.file(
                path: path,
                password: reader.value(.certificatePassword),
                options: options
            )
        }
        if let base64 = reader.value(.certificateBase64) {
            guard let bytes = Data(base64Encoded: base64) else {
                throw places.invalid(.certificateBase64, "not base64 PFX data")
            }
            do {
                let certificate = try SigningCertificate.fromPKCS12(
                    Array(bytes),
                    password: reader.value(.certificatePassword)
                )
                return ClientCertificateCredential(certificate: certificate)
            } catch {
                throw places.invalid(.certificateBase64, "the certificate could not be loaded: \(error.message)")
            }
        }
        if let file = reader.value(.federatedTokenFile) { return ClientAssertionCredential(file: file) }
        if let identity = reader.value(.managedIdentityAssertion) {
            let source = try ManagedIdentityTokenSource(
                identity: identity.lowercased() == "system" ? .system : .clientID(identity),
                endpoint: managedIdentityEndpoint(),
                http: http
            )
            return ClientAssertionCredential.managedIdentity(source.cached())
        }
        throw IdentityError(
            .invalidConfiguration,
            "no credential: set \(SettingKey.secret.environment), \(SettingKey.certificatePath.environment) (a PEM or "
                + "PFX file) or \(SettingKey.federatedTokenFile.environment), or AzureAd.ClientCredentials in "
                + "\(places.file), e.g. [{\"SourceType\": \"ClientSecret\", \"ClientSecret\": \"…\"}] (also Path, "
                + "Base64Encoded, SignedAssertionFilePath, SignedAssertionFromManagedIdentity)"
        )
    }
}
