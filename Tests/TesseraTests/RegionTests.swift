import Foundation
import Tessera
import TesseraTestSupport
import Testing

@Suite("Regions and clouds: regional token endpoints with fallback to the global one")
struct RegionTests {
    @Test("regional hosts per cloud, names checked, REGION_NAME read; clouds by name")
    func names() throws {
        let region = try AzureRegion.named("westus2")
        #expect(region.baseURL(in: .public) == "https://westus2.login.microsoft.com")
        #expect(region.baseURL(in: .usGovernment) == "https://westus2.login.microsoftonline.us")
        #expect(region.baseURL(in: .china) == "https://westus2.login.chinacloudapi.cn")
        #expect(
            region.baseURL(in: try .custom("https://localhost:8443")) == nil,
            "a custom cloud has no regional host unless given"
        )
        for bad in ["", "evil.example/x", "west us", "westus2.attacker.example", "@x"] {
            #expect(throws: IdentityError.self, "\(bad)") { try AzureRegion.named(bad) }
        }
        #expect(try AzureRegion.fromEnvironment(["REGION_NAME": "EastUS"]) == .named("eastus"))
        #expect(try AzureRegion.fromEnvironment([:]) == nil)
        #expect(try AzureCloud.named("AzureUSGovernment") == .usGovernment)
        #expect(try AzureCloud.named("AzureChinaCloud") == .china)
        #expect(try AzureCloud.named("AzurePublicCloud") == .public)
        #expect(AzureCloud.usGovernment.graphURL == "https://graph.microsoft.us")
    }

    /// A client of `global` whose region is served by `regional` (both test token services).
    func withRegionalClient<R: Sendable>(
        global: TestTokenServer,
        regionalBaseURL: String,
        _ body: (ConfidentialClient, CapturingLogHandler) async throws -> R
    ) async throws -> R {
        let (logger, capture) = capturingLogger()
        return try await withClient(
            global,
            credential: ClientSecretCredential(secret: testSecret),
            logger: logger,
            configure: {
                $0.region = try AzureRegion.custom(name: "westus2", baseURL: regionalBaseURL)
            }
        ) { client in try await body(client, capture) }
    }

    @Test("requests go to the regional endpoint while it works")
    func regional() async throws {
        try await TestTokenServer.daemon().run { global in
            try await TestTokenServer.daemon().run { regional in
                try await withRegionalClient(global: global, regionalBaseURL: regional.baseURL) { client, capture in
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                    #expect(capture.count("falling back") == 0)
                }
                #expect(regional.tokenRequests.count == 2)
                #expect(global.tokenRequests.isEmpty)
                #expect(regional.tokenRequests.first?.path == "/\(tenantID)/oauth2/v2.0/token")
            }
        }
    }

    @Test("an unreachable or failing (5xx) region falls back to the global endpoint at once, which is then kept")
    func fallback() async throws {
        try await TestTokenServer.daemon().run { global in
            let closed = "http://127.0.0.1:\(try Peers.freePort())"
            try await withRegionalClient(global: global, regionalBaseURL: closed) { client, capture in
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                #expect(capture.count("falling back") == 1, "the region is suspended after the first failure")
            }
            #expect(global.tokenRequests.count == 2)
            try await TestTokenServer.daemon().run { regional in
                regional.enqueue(
                    .init(
                        status: 503,
                        body: #"{"error":"temporarily_unavailable","error_description":"AADSTS90000: busy"}"#
                    )
                )
                try await withRegionalClient(global: global, regionalBaseURL: regional.baseURL) { client, capture in
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                    #expect(capture.count("falling back") == 1)
                }
                #expect(regional.tokenRequests.count == 1)
                #expect(global.tokenRequests.count == 3)
            }
            // A rejection that is about the request (a wrong secret) is not retried globally.
            try await TestTokenServer.daemon(secret: "another").run { regional in
                try await withRegionalClient(global: global, regionalBaseURL: regional.baseURL) { client, capture in
                    let error = await expectIdentityError {
                        _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                    }
                    #expect(error?.aadstsCode == 7_000_215)
                    #expect(capture.count("falling back") == 0)
                }
                #expect(global.tokenRequests.count == 3)
            }
        }
    }
}
