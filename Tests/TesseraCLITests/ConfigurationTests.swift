import Foundation
import TesseraJOSE
import TesseraTestSupport
import Testing

/// Every configuration form yields the same client; flags beat the environment, which beats the file (built binary).
@Suite(
    "CLI configuration: appsettings.json, sample form, environment, precedence",
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI)
)
struct ConfigurationTests {
    var binary: String {
        ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
    }

    func write(_ json: String) throws -> String {
        let path = NSTemporaryDirectory() + "tessera-config-" + UUID().uuidString.prefix(8) + ".json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `tessera token` with only these settings (no AZURE_* from the outer environment) and returns what the server saw.
    func run(
        _ server: TestTokenServer,
        arguments: [String] = [],
        environment: [String: String] = [:]
    ) async throws -> TestTokenServer.Recorded {
        var clean = [
            "AZURE_TENANT_ID": "", "AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": "", "AZURE_AUTHORITY_HOST": "",
            "AZURE_CLIENT_CERTIFICATE_PATH": "",
            "AZURE_FEDERATED_TOKEN_FILE": "", "TESSERA_CONFIG": "", "REGION_NAME": "",
            "AZURE_REGIONAL_AUTHORITY_NAME": "",
        ]
        clean.merge(environment) { $1 }
        let before = server.tokenRequests.count
        let output = try await Peers.runAsync(binary, ["token"] + arguments, environment: clean)
        #expect(output.hasPrefix("test-token-"))
        #expect(server.tokenRequests.count == before + 1)
        return server.tokenRequests.last!
    }

    @Test("Microsoft.Identity.Web appsettings.json (case-insensitive; first credential that loads wins)")
    func appSettings() async throws {
        try await TestTokenServer.daemon().run { server in
            let file = try write(
                """
                {"azuread": {"instance": "\(server.baseURL)/", "TENANTID": "\(tenantID)", "ClientId": "\(daemonClientID)",
                  "ClientCredentials": [
                    {"SourceType": "Path", "CertificateDiskPath": "/nonexistent", "CertificateFileName": "missing.pfx"},
                    {"SourceType": "ClientSecret", "ClientSecret": "\(testSecret)"}]}}
                """
            )
            let request = try await run(server, arguments: ["--config", file])
            #expect(request.path == "/\(tenantID)/oauth2/v2.0/token")
            #expect(request.form["client_secret"] == testSecret)
        }
    }

    @Test("certificate credentials from appsettings.json: Path (PFX + password) and Base64Encoded")
    func certificateSources() async throws {
        let pki = TestPKI.shared
        let pfx = try Data(contentsOf: URL(fileURLWithPath: pki.path("bundle.pfx"))).base64EncodedString()
        try await TestTokenServer.daemon().run { server in
            for credential in [
                #"{"SourceType": "Path", "CertificateDiskPath": "\#(pki.directory)", "CertificateFileName": "bundle.pfx", "CertificatePassword": "\#(TestPKI.password)"}"#,
                #"{"SourceType": "Base64Encoded", "Base64EncodedValue": "\#(pfx)", "CertificatePassword": "\#(TestPKI.password)"}"#,
            ] {
                let file = try write(
                    #"{"AzureAd": {"Instance": "\#(server.baseURL)", "TenantId": "\#(tenantID)", "ClientId": "\#(daemonClientID)", "ClientCredentials": [\#(credential)]}}"#
                )
                let request = try await run(server, arguments: ["--config", file])
                #expect(request.assertionHeader?["alg"] == "PS256")
                #expect(request.form["client_secret"] == nil)
            }
        }
    }

    @Test("the low-level sample form: Instance with {0}, Tenant, ClientId, ClientSecret")
    func sampleForm() async throws {
        try await TestTokenServer.daemon().run { server in
            let file = try write(
                #"{"Instance": "\#(server.baseURL)/{0}", "Tenant": "contoso.example", "ClientId": "\#(daemonClientID)", "ClientSecret": "\#(testSecret)"}"#
            )
            let request = try await run(server, environment: ["TESSERA_CONFIG": file])
            #expect(request.path == "/contoso.example/oauth2/v2.0/token")
            #expect(request.form["client_secret"] == testSecret)
        }
    }

    @Test("precedence: flags, then environment, then file")
    func precedence() async throws {
        try await TestTokenServer.daemon().run { server in
            let file = try write(
                #"{"AzureAd": {"Instance": "\#(server.baseURL)", "TenantId": "file.example", "ClientId": "\#(daemonClientID)", "ClientSecret": "\#(testSecret)"}}"#
            )
            #expect(try await run(server, arguments: ["--config", file]).path == "/file.example/oauth2/v2.0/token")
            #expect(
                try await run(server, arguments: ["--config", file], environment: ["AZURE_TENANT_ID": "env.example"])
                    .path == "/env.example/oauth2/v2.0/token"
            )
            #expect(
                try await run(
                    server,
                    arguments: ["--config", file, "--tenant", "flag.example"],
                    environment: ["AZURE_TENANT_ID": "env.example"]
                ).path == "/flag.example/oauth2/v2.0/token"
            )
        }
    }

    @Test("a missing or wrong setting names the key, where it was looked for, and an example")
    func errors() async throws {
        let file = try write(#"{"AzureAd": {"ClientId": "abc"}}"#)
        for (arguments, expected) in [
            (
                ["--config", file],
                "azure.tenantId is not set: looked in --tenant, AZURE_TENANT_ID and \(file) (AzureAd.TenantId or Tenant); e.g. contoso.onmicrosoft.com"
            ),
            (["--config", file, "--tenant", "contoso.example"], "no credential: set AZURE_CLIENT_SECRET"),
            (["--config", "/nonexistent.json"], "cannot read the configuration file '/nonexistent.json'"),
            (
                ["--tenant", "contoso.example", "--client-id", "abc", "--authority-host", "ftp://x"],
                "azure.authorityHost is not valid (looked in --authority-host, AZURE_AUTHORITY_HOST and no configuration file (--config / TESSERA_CONFIG) (AzureAd.Instance))"
            ),
        ] {
            do {
                _ = try await Peers.runAsync(
                    binary,
                    ["token"] + arguments,
                    environment: [
                        "AZURE_TENANT_ID": "", "AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": "", "TESSERA_CONFIG": "",
                        "REGION_NAME": "", "AZURE_REGIONAL_AUTHORITY_NAME": "",
                    ]
                )
                Issue.record("accepted \(arguments)")
            } catch let error as Peers.PeerError {
                #expect(error.description.contains(expected), "\(error)")
                #expect(error.description.contains("exited 2"))
            }
        }
    }
}
