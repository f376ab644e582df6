import ArgumentParser
import Foundation
import Tessera

/// A cold acquisition: a new client (its own HTTP pool, TLS handshake, no cache) gets its first token from a running
/// identity provider, `count` times in a row.
struct ColdAcquisition: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cold",
        abstract: "New client → first token over loopback HTTPS, p50/p99 in milliseconds."
    )

    @Option(help: "The authority URL, e.g. https://localhost:8443/{tenant}.") var authority: String
    @Option(help: "The application (client) ID.") var clientID: String
    @Option(help: "A file holding the client secret.") var secretFile: String
    @Option(help: "The scope, {resource}/.default.") var scope: String
    @Option(help: "A PEM file of the CA that issued the server's certificate.") var caFile: String?
    @Option(help: "Acquisitions timed.") var count = 20

    func run() async throws {
        let secret = try String(contentsOfFile: secretFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        var configuration = ConfidentialClient.Configuration(
            clientID: clientID,
            authority: try .microsoft(url: authority),
            credential: ClientSecretCredential(secret: secret)
        )
        configuration.http.caFile = caFile
        configuration.http.proxy = .none
        let clock = ContinuousClock()
        var milliseconds: [Double] = []
        for _ in 0..<(count + 1) {
            let started = clock.now
            try await withConfidentialClient(configuration: configuration) { client in
                _ = try await client.token(scope: scope)
            }
            let elapsed = started.duration(to: clock.now)
            milliseconds.append(
                Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
            )
        }
        milliseconds.removeFirst()  // the first loads the process's TLS and crypto state
        let sorted = milliseconds.sorted()
        func rank(_ fraction: Double) -> Double {
            (sorted[min(sorted.count - 1, Int((fraction * Double(sorted.count)).rounded(.up)) - 1)] * 100).rounded()
                / 100
        }
        try printJSON(["cold_p50_ms": rank(0.5), "cold_p99_ms": rank(0.99), "count": count])
    }
}
