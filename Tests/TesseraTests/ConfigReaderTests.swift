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

    /// The README's library form, verbatim (compiled here; ``readmeLibraryForm()`` checks the README still says it).
    // swift-format-ignore
    static func libraryForm() throws -> (ConfidentialClient, DownstreamAPIClient) {
        let settings = ConfigReader(providers: [EnvironmentVariablesProvider.ignoringEmptyValues(), try AppSettingsFile.provider(path: "appsettings.json")])
        let client = try ConfidentialClient(configuration: .init(configReader: settings))
        let graph = try DownstreamAPIClient(api: try DownstreamAPI(configReader: settings, name: "Graph"), client: client)
        return (client, graph)
    }

    @Test("the README's three-line library form is the code compiled above")
    func readmeLibraryForm() throws {
        let block = try Self.readmeBlock(after: "The library reads the same settings itself", language: "swift")
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        for line in block.split(separator: "\n") {
            #expect(source.contains("        " + line + "\n"), "README line not in the compiled form: \(line)")
        }
        #expect(block.split(separator: "\n").count == 3)
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

    @Test(
        "regions: AZURE_REGIONAL_AUTHORITY_NAME or AzureAd.AzureRegion; TryAutoDetect reads REGION_NAME, which alone turns nothing on"
    )
    func regions() throws {
        let base = ["AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID, "AZURE_CLIENT_SECRET": testSecret]
        func region(_ extra: [String: String], file: String? = nil) throws -> AzureRegion? {
            var providers: [any ConfigProvider] = [Self.environment(base.merging(extra) { $1 })]
            if let file { providers.append(try AppSettingsFile.provider(path: try Self.write(file))) }
            return try ConfidentialClient.Configuration(configReader: ConfigReader(providers: providers)).region
        }
        #expect(try region([:]) == nil)
        #expect(try region(["REGION_NAME": "EastUS"]) == nil)
        #expect(try region(["AZURE_REGIONAL_AUTHORITY_NAME": "westus2", "REGION_NAME": "eastus"]) == .named("westus2"))
        #expect(
            try region(["AZURE_REGIONAL_AUTHORITY_NAME": "tryautodetect", "REGION_NAME": "eastus"]) == .named("eastus")
        )
        #expect(try region(["AZURE_REGIONAL_AUTHORITY_NAME": "TryAutoDetect"]) == nil)
        #expect(
            try region(["REGION_NAME": "eastus"], file: #"{"AzureAd": {"AzureRegion": "TryAutoDetect"}}"#)
                == .named("eastus")
        )
        #expect(try region([:], file: #"{"AzureAd": {"azureregion": "northeurope"}}"#) == .named("northeurope"))
    }

    @Test("an empty environment variable counts as unset: the file's value is used")
    func emptyVariables() throws {
        let path = try Self.write(
            #"{"AzureAd": {"Instance": "https://login.microsoftonline.us/", "TenantId": "t", "ClientId": "c", "ClientSecret": "file-secret"}}"#
        )
        defer { unlink(path) }
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider.ignoringEmptyValues(["AZURE_AUTHORITY_HOST": "", "AZURE_CLIENT_SECRET": ""]),
            try AppSettingsFile.provider(path: path),
        ])
        let configuration = try ConfidentialClient.Configuration(configReader: reader)
        #expect(configuration.authority.cloud == .usGovernment)
        #expect(configuration.credential.identity == ClientSecretCredential(secret: "file-secret").identity)
    }

    @Test("ClientCredentials: a SignedAssertionFilePath whose file is readable wins; a missing one is skipped")
    func signedAssertionFile() throws {
        let token = try Self.write("eyJ.federated.token")
        defer { unlink(token) }
        for (path, expectAssertion) in [(token, true), ("/nonexistent/token", false)] {
            let file = try Self.write(
                """
                {"AzureAd": {"TenantId": "t", "ClientId": "c", "ClientCredentials": [
                  {"SourceType": "SignedAssertionFilePath", "SignedAssertionFileDiskPath": "\(path)"},
                  {"SourceType": "ClientSecret", "ClientSecret": "fallback"}]}}
                """
            )
            defer { unlink(file) }
            let configuration = try ConfidentialClient.Configuration(
                configReader: ConfigReader(provider: try AppSettingsFile.provider(path: file))
            )
            #expect((configuration.credential is ClientAssertionCredential) == expectAssertion)
            #expect(configuration.credential.identity.hasPrefix(expectAssertion ? "assertion:file:" : "secret:"))
        }
    }

    @Test("DownstreamApis names that clash case-insensitively or cannot be keys do not crash the reader")
    func downstreamAPINames() throws {
        let path = try Self.write(
            #"{"DownstreamApis": {"Graph": {"BaseUrl": "https://a.example/"}, "graph": {"BaseUrl": "https://b.example/"}, "Graph.": {"BaseUrl": "https://c.example/"}, "": {"BaseUrl": "https://d.example/"}}}"#
        )
        defer { unlink(path) }
        let reader = ConfigReader(provider: try AppSettingsFile.provider(path: path))
        #expect(try DownstreamAPI(configReader: reader, name: "GRAPH").baseURL == "https://a.example/")
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
            expected: [
                "azure.authorityHost is not valid", "AZURE_AUTHORITY_HOST", "AzureAd.Instance", "https://",
                "e.g. https://login.microsoftonline.com",
            ]
        ),
        BadSetting(
            testDescription: "an invalid REGION_NAME (TryAutoDetect)",
            environment: complete.merging([
                "AZURE_REGIONAL_AUTHORITY_NAME": "TryAutoDetect", "REGION_NAME": "west us 2",
            ]) {
                $1
            },
            file: nil,
            expected: ["region.name is not valid", "REGION_NAME", "not an Azure region name", "e.g. westus2"]
        ),
        BadSetting(
            testDescription: "an invalid AzureAd.AzureRegion",
            environment: complete.filter { $0.key != "AZURE_TENANT_ID" },
            file: #"{"AzureAd": {"TenantId": "t", "AzureRegion": "not/a/region"}}"#,
            expected: [
                "azure.regionalAuthorityName is not valid", "AZURE_REGIONAL_AUTHORITY_NAME", "AzureAd.AzureRegion",
                "not an Azure region name", "e.g. westus2",
            ]
        ),
        BadSetting(
            testDescription: "a Base64Encoded certificate that is not base64",
            environment: complete.filter { $0.key != "AZURE_CLIENT_SECRET" },
            file:
                #"{"AzureAd": {"ClientCredentials": [{"SourceType": "Base64Encoded", "Base64EncodedValue": "%%%"}]}}"#,
            expected: [
                "azure.clientCertificateBase64 is not valid", "Base64Encoded", "not base64 PFX data", "e.g. the PFX",
            ]
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
            // A value that is wrong names the file it may have come from.
            if let path, error.message.contains("is not valid") { #expect(error.message.contains(path)) }
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
        // Wrong values stop the chain with the same error; a missing credential leaves the step unavailable.
        let sameInTheChain = [
            "an invalid REGION_NAME (TryAutoDetect)", "an authority host that is not a URL or cloud name",
        ]
        for setting in Self.badSettings where sameInTheChain.contains(setting.testDescription) {
            let chain = try ChainedTokenSource.environment(setting.environment, only: [.environment])
            let error = await expectIdentityError {
                _ = try await chain.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(error?.code == .invalidConfiguration, "\(setting.testDescription)")
            for part in setting.expected {
                #expect(error?.message.contains(part) == true, "\(String(describing: error))")
            }
            try await chain.shutdown()
        }
        let missing = try #require(Self.badSettings.first { $0.testDescription == "no credential" })
        let chain = try ChainedTokenSource.environment(missing.environment, only: [.environment])
        let error = await expectIdentityError {
            _ = try await chain.token(scope: "https://graph.microsoft.com/.default")
        }
        #expect(error?.code == .credentialUnavailable)
        #expect(error?.message.contains("neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is set") == true)
        try await chain.shutdown()
    }
}
