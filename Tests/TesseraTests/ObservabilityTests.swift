import Foundation
import Logging
import MetricsTestKit
import Tessera
import TesseraTestSupport
import Testing

@Suite("Logs, metrics and canaries")
struct ObservabilityTests {
    @Test("at trace level no secret, key, assertion or token appears in logs, errors or descriptions")
    func canaries() async throws {
        let handler = CapturingLogHandler()
        let logger = {
            var logger = Logger(label: "canary", factory: { _ in handler })
            logger.logLevel = .trace
            return logger
        }()
        let pki = TestPKI.shared
        let server = TestTokenServer.daemon()
        // The last answer echoes the secret back, as a careless server might.
        let (tokens, errors) = try await server.run { server in
            var tokens: [String] = []
            var errors: [String] = []
            let secret = ClientSecretCredential(secret: testSecret)
            let certificate = try certificateCredential { $0.sendCertificateChain = true }
            for credential in [secret as any ClientCredential, certificate] {
                try await withClient(server, credential: credential, logger: logger) { client in
                    let token = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                    tokens.append(token.token)
                    errors.append("\(token)")
                }
            }
            for credential in [ClientSecretCredential(secret: "Wrong~canary-\(testSecret)") as any ClientCredential] {
                let error = await expectIdentityError {
                    _ = try await withClient(server, credential: credential, logger: logger) {
                        try await $0.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                    }
                }
                errors.append("\(error.map { "\($0)" } ?? "")")
            }
            server.enqueue(
                .init(status: 400, body: #"{"error":"invalid_client","error_description":"echo \#(testSecret)"}"#)
            )
            let echoed = await expectIdentityError {
                _ = try await withClient(server, credential: ClientSecretCredential(secret: testSecret), logger: logger)
                {
                    try await $0.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            errors.append("\(echoed.map { "\($0)" } ?? "")")
            errors.append("\(secret)")
            errors.append("\(certificate)")
            errors.append("\(certificate.certificate)")
            return (tokens, errors)
        }
        let assertions = server.tokenRequests.compactMap { $0.form["client_assertion"] }
        #expect(assertions.count == 1)
        let keyLines = pki.text("key.pem").split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
        var canaries = [testSecret] + tokens + assertions + keyLines
        canaries += assertions.map { String($0.split(separator: ".")[2]) }  // signatures alone
        let logs = handler.all
        #expect(!logs.isEmpty)
        #expect(logs.contains("token request"))
        for canary in canaries {
            #expect(!logs.contains(canary), "a canary leaked into the logs")
            for text in errors {
                #expect(!text.contains(canary), "a canary leaked into an error or description: \(text.prefix(80))")
            }
        }
    }

    @Test("requests and failures are counted through the injected MetricsFactory")
    func metrics() async throws {
        let metrics = TestMetrics()
        try await TestTokenServer.daemon().run { server in
            try await withClient(server, credential: ClientSecretCredential(secret: testSecret), metrics: metrics) {
                client in
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            _ = await expectIdentityError {
                _ = try await withClient(server, credential: ClientSecretCredential(secret: "wrong"), metrics: metrics)
                {
                    try await $0.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
            }
        }
        #expect(try metrics.expectCounter("tessera_token_requests_total", [("result", "success")]).totalValue == 2)
        #expect(
            try metrics.expectCounter("tessera_token_requests_total", [("result", "invalidClient")]).totalValue == 1
        )
        #expect(try metrics.expectTimer("tessera_token_request_duration_seconds").values.count == 2)
    }
}
