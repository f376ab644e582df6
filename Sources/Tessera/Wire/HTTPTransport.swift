import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The one AsyncHTTPClient a client owns (never `HTTPClient.shared`), and the request/answer exchange with error
/// mapping to ``IdentityError`` codes (network, TLS, timeout, oversized answer).
final class HTTPTransport: Sendable {
    let client: HTTPClient
    let configuration: HTTPConfiguration

    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    init(configuration: HTTPConfiguration, targetScheme: String, targetHost: String) throws(IdentityError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        // Closing a connection waits this long for the peer's close_notify (NIOSSL's default is 5 s): a cancelled
        // request to a stalled server must not hold the daemon's shutdown.
        tls.shutdownTimeout = .milliseconds(500)
        if let caFile = try Self.checkCAFile(configuration) { tls.additionalTrustRoots = [.file(caFile)] }
        var config = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(
                connect: .nanoseconds(Int64(configuration.connectTimeout.nanoseconds)),
                read: .nanoseconds(Int64(configuration.requestTimeout.nanoseconds))
            )
        )
        // Report a TLS or connection failure at once instead of retrying until the deadline.
        config.connectionPool.retryConnectionEstablishment = false
        config.redirectConfiguration = .disallow
        switch configuration.proxy.backing {
        case .none: config.proxy = nil
        case .server(let host, let port): config.proxy = .server(host: host, port: port)
        case .environment: config.proxy = ProxyEnvironment().proxy(forScheme: targetScheme, host: targetHost)
        }
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.configuration = configuration
    }

    func shutdown() async throws {
        try await client.shutdown()
    }

    /// The configured CA file, when it can be read.
    @discardableResult
    static func checkCAFile(_ configuration: HTTPConfiguration) throws(IdentityError) -> String? {
        guard let caFile = configuration.caFile else { return nil }
        guard FileManager.default.isReadableFile(atPath: caFile) else {
            throw IdentityError(
                .invalidConfiguration,
                "the CA file '\(caFile)' cannot be read: check the path (TESSERA_CA_FILE / --ca-file)"
            )
        }
        return caFile
    }

    /// Sends `request` and reads at most ``HTTPConfiguration/maximumResponseBytes`` of the answer.
    func send(
        _ request: HTTPClientRequest,
        what: String,
        timeout: Duration? = nil
    ) async throws(IdentityError) -> Answer {
        do {
            let response = try await client.execute(
                request,
                timeout: .nanoseconds(Int64((timeout ?? configuration.requestTimeout).nanoseconds))
            )
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: configuration.maximumResponseBytes)
            } catch is NIOTooManyBytesError {
                throw IdentityError(
                    .protocolViolation,
                    "the \(what) answer (HTTP \(response.status.code)) is larger than "
                        + "\(configuration.maximumResponseBytes) bytes (HTTPConfiguration.maximumResponseBytes)",
                    httpStatus: Int(response.status.code)
                )
            }
            return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: body))
        } catch let error as IdentityError {
            throw error
        } catch {
            throw Self.classify(error, what: what, url: request.url)
        }
    }

    static func classify(_ error: any Error, what: String, url: String) -> IdentityError {
        let host = URLComponents(string: url)?.host ?? "?"
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout:
                return IdentityError(
                    .timeout,
                    "the \(what) request to \(host) timed out: the server is slow or unreachable; it will be retried"
                )
            default: break
            }
        }
        if error is NIOSSLError || error is BoringSSLError || String(reflecting: error).contains("SSL") {
            return IdentityError(
                .tls,
                "TLS with \(host) failed (\(String(describing: error).prefix(160))): if the server uses a private CA "
                    + "(such as the emulator's development CA) pass it with caFile / --ca-file / TESSERA_CA_FILE"
            )
        }
        return IdentityError(
            .network,
            "the \(what) request to \(host) failed: \(String(describing: error).prefix(160)). Check the host name, "
                + "network and proxy settings (HTTPS_PROXY/NO_PROXY)"
        )
    }
}
