import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("CAE end to end: the emulator's Graph challenges a revoked client's tokens; the caller (cp1) answers")
struct ContinuousAccessTests {
    func graph(
        _ emulator: Emulator,
        capabilities: [String],
        _ body: (DownstreamAPIClient, CapturingLogHandler) async throws -> Void
    ) async throws {
        let (logger, capture) = capturingLogger()
        var configuration = try emulatorClient(
            emulator,
            credential: ClientSecretCredential(secret: EmulatorFixture.secret)
        )
        configuration.clientCapabilities = capabilities
        try await withClient(configuration, logger: logger) { client in
            var http = DownstreamAPIClient.Configuration()
            http.http.caFile = emulator.caFile
            let graph = try DownstreamAPIClient(
                api: .graph(cloud: try .custom(emulator.baseURL)),
                tokenSource: client,
                configuration: http,
                logger: logger
            )
            do {
                try await body(graph, capture)
                try await graph.shutdown()
            } catch {
                try? await graph.shutdown()
                throw error
            }
        }
    }

    func revoke(_ emulator: Emulator) async throws {
        try await Task.sleep(for: .milliseconds(1100))  // the revocation must fall in a later second than the token's iat
        #expect(
            try await post(
                emulator,
                path: "/admin/cae/revoke",
                json: #"{"client":"\#(EmulatorFixture.daemon)"}"#,
                adminKey: emulator.adminKey
            ).status == 200
        )
    }

    struct User: Decodable { let id: String }

    @Test(
        "with cp1: the revoked token is challenged, a token with the claims is fetched, the call succeeds, and the new token is cached"
    )
    func answered() async throws {
        try await withEmulator(model: EmulatorFixture.model(users: 2)) { emulator in
            try await graph(emulator, capabilities: ["cp1"]) { graph, capture in
                #expect(try await graph.allPages("users", of: User.self).count == 2)
                try await revoke(emulator)
                #expect(try await graph.allPages("users", of: User.self).count == 2)
                #expect(capture.count("claims challenge") == 1)
                #expect(try await graph.allPages("users", of: User.self).count == 2)
                #expect(capture.count("claims challenge") == 1, "the fresh token was cached")
            }
        }
    }

    @Test("without cp1: the revoked token gets a plain 401, reported with Graph's code")
    func notCapable() async throws {
        try await withEmulator(model: EmulatorFixture.model(users: 2)) { emulator in
            try await graph(emulator, capabilities: []) { graph, _ in
                _ = try await graph.allPages("users", of: User.self)
                try await revoke(emulator)
                let error = await expectDownstreamError { _ = try await graph.allPages("users", of: User.self) }
                #expect(error?.code == .unauthorized)
                #expect(error?.apiCode == "InvalidAuthenticationToken")
            }
        }
    }
}
