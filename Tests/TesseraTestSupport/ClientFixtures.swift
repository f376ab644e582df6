import Foundation
import Logging
import Metrics
import Synchronization
import Tessera
import TesseraJOSE
import Testing

package let daemonClientID = "6731de76-14a6-49ae-97bc-6eba6914391e"
package let tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
package let testSecret = "Xy8Q~canary-secret-value-4b1d"

extension TestTokenServer {
    package static func daemon(secret: String = testSecret, expiresIn: Int = 3599) -> TestTokenServer {
        TestTokenServer(
            registration: .init(
                clientID: daemonClientID,
                secret: secret,
                certificatePEM: TestPKI.shared.text("cert.pem")
            ),
            expiresIn: expiresIn
        )
    }
}

/// Runs `body` with a client pointed at `server` as a Microsoft cloud, then shuts the client down.
package func withClient<R: Sendable>(
    _ server: TestTokenServer,
    credential: any ClientCredential,
    tenant: String = tenantID,
    logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
    metrics: any MetricsFactory = NOOPMetricsHandler.instance,
    configure: (inout ConfidentialClient.Configuration) throws -> Void = { _ in },
    _ body: (ConfidentialClient) async throws -> R
) async throws -> R {
    var configuration = ConfidentialClient.Configuration(
        clientID: daemonClientID,
        authority: try .microsoft(tenant: tenant, cloud: .custom(server.baseURL)),
        credential: credential
    )
    try configure(&configuration)
    return try await withClient(configuration, logger: logger, metrics: metrics, body)
}

/// Runs `body` with a running client made from `configuration` (``withConfidentialClient``: proactive refreshes on),
/// then shuts the client down (also when `body` throws).
package func withClient<R: Sendable>(
    _ configuration: ConfidentialClient.Configuration,
    logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
    metrics: any MetricsFactory = NOOPMetricsHandler.instance,
    _ body: (ConfidentialClient) async throws -> R
) async throws -> R {
    try await withConfidentialClient(configuration: configuration, logger: logger, metricsFactory: metrics, body)
}

package func certificateCredential(
    _ configure: (inout ClientCertificateCredential.AssertionOptions) -> Void = { _ in }
) throws
    -> ClientCertificateCredential
{
    var options = ClientCertificateCredential.AssertionOptions()
    configure(&options)
    return try ClientCertificateCredential.load(path: TestPKI.shared.path("combined.pem"), options: options)
}

/// Expects `body` to throw an ``IdentityError`` and returns it.
package func expectIdentityError(
    _ body: () async throws -> Void,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> IdentityError? {
    do {
        try await body()
        Issue.record("expected an IdentityError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as IdentityError {
        return error
    } catch {
        Issue.record("expected an IdentityError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A log handler that keeps every line (message and metadata) at trace level, for canary tests.
package final class CapturingLogHandler: LogHandler, Sendable {
    package let lines = Mutex<[String]>([])

    package init() {}
    package var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    package var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    package func log(event: LogEvent) {
        lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
    }
    package var all: String { lines.withLock { $0.joined(separator: "\n") } }
}

/// A logger keeping every line, for counting decisions.
package func capturingLogger() -> (Logger, CapturingLogHandler) {
    let capture = CapturingLogHandler()
    var logger = Logger(label: "test") { _ in capture }
    logger.logLevel = .trace
    return (logger, capture)
}

extension CapturingLogHandler {
    package func count(_ text: String) -> Int { lines.withLock { $0.filter { $0.contains(text) }.count } }
}

/// Waits (real time, bounded) until `condition` holds: background refreshes run on their own task.
package func eventually(_ condition: () -> Bool) async {
    for _ in 0..<200 where !condition() { try? await Task.sleep(for: .milliseconds(10)) }
}
