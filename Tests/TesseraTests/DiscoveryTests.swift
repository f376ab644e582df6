import Foundation
import Tessera
import TesseraTestSupport
import Testing

@Suite("Generic OIDC authority: checked, cached discovery")
struct DiscoveryTests {
    func withOIDCClient<R: Sendable>(
        _ server: TestTokenServer,
        issuer: String,
        tokenEndpoint: String? = nil,
        _ body: (ConfidentialClient) async throws -> R
    ) async throws -> R {
        let configuration = ConfidentialClient.Configuration(
            clientID: daemonClientID,
            authority: try .oidc(issuer: issuer, tokenEndpoint: tokenEndpoint),
            credential: ClientSecretCredential(secret: testSecret)
        )
        return try await withClient(configuration, body)
    }

    @Test("discovers the token endpoint once, sends client_secret_basic, accepts any scope")
    func discovers() async throws {
        try await TestTokenServer.daemon().run { server in
            let issuer = server.baseURL + "/realms/test"
            server.serveDiscovery([
                "issuer": issuer, "token_endpoint": server.baseURL + "/realms/test/token",
                "jwks_uri": server.baseURL + "/jwks",
            ])
            try await withOIDCClient(server, issuer: issuer) { client in
                for _ in 0..<3 { _ = try await client.identityProvider.token(scope: "api.read") }
            }
            #expect(server.requests.filter { $0.method == "GET" }.count == 1, "discovery is cached")
            #expect(server.tokenRequests.count == 3)
            #expect(
                server.tokenRequests.allSatisfy { $0.path == "/realms/test/token" && $0.form["scope"] == "api.read" }
            )
            #expect(server.tokenRequests.first?.headers["authorization"]?.hasPrefix("Basic ") == true)
        }
    }

    @Test("a document whose issuer differs from the configured one is not used")
    func issuerMismatch() async throws {
        try await TestTokenServer.daemon().run { server in
            server.serveDiscovery(["issuer": "https://evil.example", "token_endpoint": server.baseURL + "/token"])
            let error = await expectIdentityError {
                _ = try await withOIDCClient(server, issuer: server.baseURL + "/realms/test") {
                    try await $0.identityProvider.token(scope: "api.read")
                }
            }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.message.contains("not the configured issuer") == true)
            #expect(server.tokenRequests.isEmpty)
        }
    }

    @Test("a token endpoint on another origin is not trusted (audience injection)")
    func foreignTokenEndpoint() async throws {
        try await TestTokenServer.daemon().run { server in
            let issuer = server.baseURL + "/realms/test"
            server.serveDiscovery(["issuer": issuer, "token_endpoint": "https://attacker.example/token"])
            let error = await expectIdentityError {
                _ = try await withOIDCClient(server, issuer: issuer) {
                    try await $0.identityProvider.token(scope: "api.read")
                }
            }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.message.contains("configure the token endpoint explicitly") == true)
        }
    }

    @Test("an explicit token endpoint skips discovery")
    func explicitEndpoint() async throws {
        try await TestTokenServer.daemon().run { server in
            _ = try await withOIDCClient(
                server,
                issuer: server.baseURL + "/realms/test",
                tokenEndpoint: server.baseURL + "/custom/token"
            ) {
                try await $0.identityProvider.token(scope: "api.read")
            }
            #expect(server.requests.count == 1)
            #expect(server.tokenRequests.first?.path == "/custom/token")
        }
    }

    @Test("a missing discovery document names the issuer URL and the fix")
    func missingDocument() async throws {
        try await TestTokenServer.daemon().run { server in
            let error = await expectIdentityError {
                _ = try await withOIDCClient(server, issuer: server.baseURL + "/nowhere") {
                    try await $0.identityProvider.token(scope: "api.read")
                }
            }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.httpStatus == 404)
        }
    }
}
