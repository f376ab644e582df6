import Foundation
import Tessera
import TesseraTestSupport
import Testing

@Suite("Authorities")
struct AuthorityTests {
    @Test(
        "a token request to common/organizations/consumers is refused before any request",
        arguments: ["common", "organizations", "consumers", "Common"]
    )
    func multiTenantAliases(alias: String) async throws {
        try await TestTokenServer.daemon().run { server in
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: ClientSecretCredential(secret: testSecret), tenant: alias)
                {
                    try await $0.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            #expect(error?.code == .tenantRequired)
            #expect(error?.message.contains("one specific tenant") == true)
            #expect(error?.message.contains("tenant:") == true)
            #expect(server.requests.isEmpty)
        }
    }

    @Test(
        "a Microsoft scope must be one {resource}/.default: refused before any request",
        arguments: [
            "https://graph.microsoft.com/User.Read.All",
            "https://graph.microsoft.com/.default https://vault.azure.net/.default", "/.default", "",
        ]
    )
    func scopes(scope: String) async throws {
        try await TestTokenServer.daemon().run { server in
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) {
                    try await $0.token(scope: scope)
                }
            }
            #expect(error?.code == .invalidScope)
            #expect(server.requests.isEmpty)
        }
    }

    @Test("v1 resources keep their double slash")
    func doubleSlash() async throws {
        try await TestTokenServer.daemon().run { server in
            _ = try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) {
                try await $0.token(scope: "https://database.windows.net//.default")
            }
            #expect(server.tokenRequests.first?.form["scope"] == "https://database.windows.net//.default")
        }
    }

    @Test(
        "bad tenant names are configuration errors",
        arguments: ["", "../evil", "a/b", "contoso.example?x=1", "tenant with space", "é.example"]
    )
    func badTenants(tenant: String) {
        #expect(throws: IdentityError.self) { try Authority.microsoft(tenant: tenant) }
    }

    @Test(
        "http:// is refused for non-loopback hosts and accepted for loopback",
        arguments: [
            ("http://login.example.com", false), ("http://127.0.0.1:8080", true), ("http://localhost:1", true),
            ("http://[::1]:8443", true),
            ("https://login.example.com", true), ("ftp://login.example.com", false), ("login.example.com", false),
            ("https://login.example.com/?q=1", false), ("http://127.0.0.1.evil.example", false),
            ("http://login.localhost", false), ("http://127.0.0.09", false), ("http://LOCALHOST:8080", true),
        ]
    )
    func schemes(url: String, accepted: Bool) {
        let result = Result { try AzureCloud.custom(url) }
        if case .failure(let error) = result {
            #expect(!accepted, "\(url): \(error)")
            #expect((error as? IdentityError)?.code == .invalidConfiguration)
        } else {
            #expect(accepted, "\(url) was accepted")
        }
    }

    @Test(
        "clouds by name, as azure-identity names them",
        arguments: [
            ("public", "https://login.microsoftonline.com"), ("AzureUSGovernment", "https://login.microsoftonline.us"),
            ("china", "https://login.chinacloudapi.cn"),
            ("login.microsoftonline.us", "https://login.microsoftonline.us"),
            ("https://localhost:8443/", "https://localhost:8443"),
        ]
    )
    func clouds(name: String, baseURL: String) throws {
        #expect(try AzureCloud.named(name).baseURL == baseURL)
    }

    @Test("MSAL-style authority URLs")
    func authorityURLs() throws {
        let authority = try Authority.microsoft(url: "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0")
        #expect(authority.defaultTenant == "contoso.onmicrosoft.com")
        #expect(authority.host == "login.microsoftonline.com")
        #expect(authority.isMicrosoft)
        #expect(throws: IdentityError.self) { try Authority.microsoft(url: "https://login.microsoftonline.com") }
    }
}
