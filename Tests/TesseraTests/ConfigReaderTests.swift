import Configuration
import Foundation
import Tessera
import TesseraTestSupport
import Testing

/// `ConfidentialClient.Configuration(configReader:)`, `AppSettingsFile` and `DownstreamAPI(configReader:name:)`: the
/// README's own examples, every missing or malformed value naming its key and places, precedence, and
/// `ChainedTokenSource.environment()` reading the same keys.
@Suite("Configuration from a ConfigReader: appsettings.json, AZURE_*, REGION_NAME")
struct ConfigReaderTests {
    /// The README, read from the checkout.
    static var readme: String {
        get throws { try String(contentsOfFile: Peers.packageRoot + "/README.md", encoding: .utf8) }
    }

    /// The first fenced block of `language` after `heading` in the README, byte for byte.
    static func readmeBlock(after heading: String, language: String) throws -> String {
        let text = try readme
        let start = try #require(text.range(of: heading), "README has no '\(heading)'")
        let open = try #require(text.range(of: "```\(language)\n", range: start.upperBound..<text.endIndex))
        let close = try #require(text.range(of: "\n```", range: open.upperBound..<text.endIndex))
        return String(text[open.upperBound..<close.lowerBound])
    }

    static func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "tessera-appsettings-" + UUID().uuidString.prefix(8) + ".json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func environment(_ values: [String: String]) -> EnvironmentVariablesProvider {
        EnvironmentVariablesProvider(environmentVariables: values)
    }

    @Test(
        "the README's appsettings.json, byte for byte: tenant, client, the secret (the Path entry's file is absent), Graph"
    )
    func readmeAppSettings() throws {
        let path = try Self.write(try Self.readmeBlock(after: "### Configuration", language: "json"))
        defer { unlink(path) }
        let reader = ConfigReader(provider: try AppSettingsFile.provider(path: path))
        let configuration = try ConfidentialClient.Configuration(configReader: reader)
        #expect(configuration.clientID == "<app id>")
        #expect(configuration.authority.defaultTenant == "contoso.onmicrosoft.com")
        #expect(configuration.authority.cloud == .public)
        #expect(configuration.credential is ClientSecretCredential)
        #expect(configuration.credential.identity == ClientSecretCredential(secret: "…").identity)
        #expect(configuration.region == nil)
        let graph = try DownstreamAPI(configReader: reader, name: "graph")
        #expect(graph.baseURL == "https://graph.microsoft.com/v1.0/")
        #expect(graph.relativePath == "users")
        #expect(graph.scopes == ["https://graph.microsoft.com/.default"])
    }

    @Test("the README's AZURE_* quick start, byte for byte: the same configuration as azure-identity reads")
    func readmeEnvironment() throws {
        let block = try Self.readmeBlock(after: "## Quick start", language: "sh")
        var variables: [String: String] = [:]
        for word in block.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.hasPrefix("AZURE_") {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { variables[parts[0]] = parts[1] }
        }
        #expect(variables.keys.sorted() == ["AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"])
        let configuration = try ConfidentialClient.Configuration(
            configReader: ConfigReader(provider: Self.environment(variables))
        )
        #expect(configuration.authority.defaultTenant == "contoso.onmicrosoft.com")
        #expect(configuration.clientID == "…")
        #expect(configuration.credential.identity == ClientSecretCredential(secret: "…").identity)
    }

    @Test("earlier providers win: the environment over the file, per key")
    func precedence() throws {
        let path = try Self.write(
            #"{"AzureAd": {"TenantId": "file-tenant", "ClientId": "file-client", "ClientSecret": "file-secret"}}"#
        )
        defer { unlink(path) }
        let reader = ConfigReader(providers: [
            Self.environment(["AZURE_TENANT_ID": "environment-tenant"]), try AppSettingsFile.provider(path: path),
        ])
        let configuration = try ConfidentialClient.Configuration(configReader: reader)
        #expect(configuration.authority.defaultTenant == "environment-tenant")
        #expect(configuration.clientID == "file-client")
        #expect(configuration.credential.identity == ClientSecretCredential(secret: "file-secret").identity)
    }

    @Test("regions: AzureAd.AzureRegion, TryAutoDetect reading REGION_NAME, REGION_NAME alone, none")
    func regions() throws {
        let base = ["AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID, "AZURE_CLIENT_SECRET": testSecret]
        func region(_ extra: [String: String]) throws -> AzureRegion? {
            try ConfidentialClient.Configuration(
                configReader: ConfigReader(provider: Self.environment(base.merging(extra) { $1 }))
            ).region
        }
        #expect(try region([:]) == nil)
        #expect(try region(["REGION_NAME": "EastUS"]) == .named("eastus"))
        #expect(try region(["AZURE_REGION": "westus2", "REGION_NAME": "eastus"]) == .named("westus2"))
        #expect(try region(["AZURE_REGION": "TryAutoDetect", "REGION_NAME": "eastus"]) == .named("eastus"))
        #expect(try region(["AZURE_REGION": "TryAutoDetect"]) == nil)
        // The plain initializer reads no environment, whatever REGION_NAME says (it used to default to it).
        setenv("REGION_NAME", "eastus", 1)
        defer { unsetenv("REGION_NAME") }
        #expect(ProcessInfo.processInfo.environment["REGION_NAME"] == "eastus")
        let plain = ConfidentialClient.Configuration(
            clientID: daemonClientID,
            authority: try .microsoft(tenant: tenantID),
            credential: ClientSecretCredential(secret: testSecret)
        )
        #expect(plain.region == nil)
    }

    /// One bad or missing setting and what its error must say.
    struct BadSetting: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let environment: [String: String]
        let file: String?
        let expected: [String]
    }

    static let complete = [
        "AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID, "AZURE_CLIENT_SECRET": testSecret,
    ]

    static let badSettings: [BadSetting] = [
        BadSetting(
            testDescription: "no tenant",
            environment: complete.filter { $0.key != "AZURE_TENANT_ID" },
            file: nil,
            expected: ["azure.tenantId is not set", "AZURE_TENANT_ID", "AzureAd.TenantId or Tenant", "e.g. contoso"]
        ),
        BadSetting(
            testDescription: "no client ID",
            environment: complete.filter { $0.key != "AZURE_CLIENT_ID" },
            file: nil,
            expected: ["azure.clientId is not set", "AZURE_CLIENT_ID", "AzureAd.ClientId or ClientId", "e.g. 0000"]
        ),
        BadSetting(
            testDescription: "no credential",
            environment: complete.filter { $0.key != "AZURE_CLIENT_SECRET" },
            file: nil,
            expected: ["no credential", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "ClientCredentials"]
        ),
        BadSetting(
            testDescription: "an authority host that is not a URL or cloud name",
            environment: complete.merging(["AZURE_AUTHORITY_HOST": "ftp://login.example"]) { $1 },
            file: nil,
            expected: ["azure.authorityHost", "AZURE_AUTHORITY_HOST", "AzureAd.Instance", "https://"]
        ),
        BadSetting(
            testDescription: "an invalid REGION_NAME",
            environment: complete.merging(["REGION_NAME": "west us 2"]) { $1 },
            file: nil,
            expected: ["region.name", "REGION_NAME", "not an Azure region name", "westus2"]
        ),
        BadSetting(
            testDescription: "an invalid AzureAd.AzureRegion",
            environment: complete.filter { $0.key != "AZURE_TENANT_ID" },
            file: #"{"AzureAd": {"TenantId": "t", "AzureRegion": "not/a/region"}}"#,
            expected: ["azure.region", "AzureAd.AzureRegion", "not an Azure region name"]
        ),
        BadSetting(
            testDescription: "a Base64Encoded certificate that is not base64",
            environment: complete.filter { $0.key != "AZURE_CLIENT_SECRET" },
            file:
                #"{"AzureAd": {"ClientCredentials": [{"SourceType": "Base64Encoded", "Base64EncodedValue": "%%%"}]}}"#,
            expected: ["azure.clientCertificateBase64", "Base64Encoded", "not base64 PFX data"]
        ),
        BadSetting(
            testDescription: "a file that is not JSON",
            environment: complete,
            file: "AzureAd: yes",
            expected: ["is not a JSON object"]
        ),
    ]

    @Test(
        "each missing or malformed value names its key, every place it was looked for, and an example",
        arguments: badSettings
    )
    func badSetting(_ setting: BadSetting) throws {
        let path = try setting.file.map(Self.write)
        defer { path.map { _ = unlink($0) } }
        do {
            var providers: [any ConfigProvider] = [Self.environment(setting.environment)]
            if let path { providers.append(try AppSettingsFile.provider(path: path)) }
            _ = try ConfidentialClient.Configuration(
                configReader: ConfigReader(providers: providers),
                places: SettingPlaces(file: path ?? "appsettings.json")
            )
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            for part in setting.expected { #expect(error.message.contains(part), "\(error.message)") }
            #expect(!error.message.contains(testSecret))
        }
    }

    @Test("a DownstreamApis entry that is missing names the entry, the file and an example")
    func missingDownstreamAPI() throws {
        let path = try Self.write(#"{"DownstreamApis": {"Graph": {"RelativePath": "users"}}}"#)
        defer { unlink(path) }
        let reader = ConfigReader(provider: try AppSettingsFile.provider(path: path))
        for (name, expected) in [
            ("Graph", "DownstreamApis.Graph.BaseUrl is not set in \(path)"),
            ("Reports", "DownstreamApis.Reports is not in \(path)"),
        ] {
            #expect {
                _ = try DownstreamAPI(configReader: reader, name: name, places: SettingPlaces(file: path))
            } throws: { error in
                let message = (error as? IdentityError)?.message ?? ""
                return message.contains(expected)
                    && message.contains("\"BaseUrl\": \"https://graph.microsoft.com/v1.0/\"")
            }
        }
    }

    @Test(
        "ChainedTokenSource.environment() reads the same keys: a token with the table's valid settings, the same errors"
    )
    func chainReadsTheSameKeys() async throws {
        try await TestTokenServer.daemon().run { server in
            var environment = Self.complete
            environment["AZURE_AUTHORITY_HOST"] = server.baseURL
            let chain = try ChainedTokenSource.environment(environment, only: [.environment])
            let token = try await chain.token(scope: "https://graph.microsoft.com/.default")
            #expect(token.token.hasPrefix("test-token-"))
            try await chain.shutdown()
        }
        let sameInTheChain = ["an invalid REGION_NAME", "an authority host that is not a URL or cloud name"]
        for setting in Self.badSettings where sameInTheChain.contains(setting.testDescription) {
            let chain = try ChainedTokenSource.environment(setting.environment, only: [.environment])
            let error = await expectIdentityError {
                _ = try await chain.token(scope: "https://graph.microsoft.com/.default")
            }
            for part in setting.expected {
                #expect(error?.message.contains(part) == true, "\(String(describing: error))")
            }
            try await chain.shutdown()
        }
    }
}
