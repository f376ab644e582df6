import Foundation
import Synchronization
import Tessera
import TesseraTestSupport
import Testing

@Suite("Client assertion credentials: static, provider, file")
struct AssertionCredentialTests {
    /// Signs a real assertion with the test certificate, so the server's checks pass.
    static func sign(_ context: CredentialContext) async throws -> String {
        try await certificateCredential().makeAssertion(for: context)
    }

    @Test("a provider is called per request with the client, tenant and token endpoint")
    func provider() async throws {
        let contexts = Mutex<[CredentialContext]>([])
        let credential = ClientAssertionCredential(name: "vault") { context in
            contexts.withLock { $0.append(context) }
            return try await Self.sign(context)
        }
        #expect(credential.identity == "assertion:provider:vault")
        try await TestTokenServer.daemon().run { server in
            try await withClient(server, credential: credential) { client in
                _ = try await client.token(scope: "https://graph.microsoft.com/.default")
                _ = try await client.token(
                    for: TokenRequest(scope: "https://graph.microsoft.com/.default", tenant: "fabrikam.example")
                )
            }
            let seen = contexts.withLock { $0 }
            #expect(seen.map(\.clientID) == [daemonClientID, daemonClientID])
            #expect(seen.map(\.endpoint.tenant) == [tenantID, "fabrikam.example"])
            #expect(seen[1].endpoint.url == server.baseURL + "/fabrikam.example/oauth2/v2.0/token")
            #expect(server.tokenRequests.count == 2)
        }
    }

    @Test("a file is re-read when it changes (Kubernetes token rotation)")
    func file() async throws {
        let path = NSTemporaryDirectory() + "tessera-federated-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let credential = ClientAssertionCredential(file: path)
        try await TestTokenServer.daemon().run { server in
            let endpoint = TokenEndpoint.forTests(server)
            let context = CredentialContext(clientID: daemonClientID, endpoint: endpoint, now: Date())
            try "first-assertion\n".write(toFile: path, atomically: true, encoding: .utf8)
            let first = try await credential.authentication(for: context)
            #expect(first.formFields.first { $0.name == "client_assertion" }?.value == "first-assertion")
            try "second-assertion-longer".write(toFile: path, atomically: true, encoding: .utf8)
            let second = try await credential.authentication(for: context)
            #expect(second.formFields.first { $0.name == "client_assertion" }?.value == "second-assertion-longer")

            // End to end: a real signed assertion from the file.
            try await Self.sign(context).write(toFile: path, atomically: true, encoding: .utf8)
            let token = try await withClient(server, credential: credential) {
                try await $0.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(token.token.hasPrefix("test-token-"))
        }
    }

    @Test("a missing file is credentialUnavailable naming AZURE_FEDERATED_TOKEN_FILE; nothing is sent")
    func missingFile() async throws {
        try await TestTokenServer.daemon().run { server in
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: ClientAssertionCredential(file: "/nonexistent/token")) {
                    try await $0.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            #expect(error?.code == .credentialUnavailable)
            #expect(error?.message.contains("AZURE_FEDERATED_TOKEN_FILE") == true)
            #expect(server.requests.isEmpty)
        }
    }

    @Test("a failing provider is credentialUnavailable; its error text is not echoed")
    func failingProvider() async throws {
        struct VaultDown: Error {}
        try await TestTokenServer.daemon().run { server in
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: ClientAssertionCredential { _ in throw VaultDown() }) {
                    try await $0.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            #expect(error?.code == .credentialUnavailable)
            #expect(server.requests.isEmpty)
        }
    }

    @Test("a static assertion is sent as is")
    func staticAssertion() async throws {
        try await TestTokenServer.daemon().run { server in
            let endpoint = TokenEndpoint.forTests(server)
            let assertion = try await Self.sign(
                CredentialContext(clientID: daemonClientID, endpoint: endpoint, now: Date())
            )
            _ = try await withClient(server, credential: ClientAssertionCredential(assertion: assertion)) {
                try await $0.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(server.tokenRequests.first?.form["client_assertion"] == assertion)
        }
    }
}

extension TokenEndpoint {
    static func forTests(_ server: TestTokenServer) -> TokenEndpoint {
        TokenEndpoint(
            url: server.baseURL + "/\(tenantID)/oauth2/v2.0/token",
            issuer: server.baseURL + "/\(tenantID)/v2.0",
            tenant: tenantID
        )
    }
}
