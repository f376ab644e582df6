import AsyncHTTPClient
import NIOSSL

/// Runs `body` with an HTTP client trusting `caFile`, then shuts it down.
package func withHTTPClient<R>(caFile: String?, _ body: (HTTPClient) async throws -> R) async throws -> R {
    var tls = TLSConfiguration.makeClientConfiguration()
    if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    do {
        let result = try await body(http)
        try await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}
