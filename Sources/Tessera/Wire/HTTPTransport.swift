import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import TesseraJOSE

/// One AsyncHTTPClient pool — the caller's (never shut down here) or one made and owned here (never
/// `HTTPClient.shared`) — and the request/answer exchange, its failures classified as ``TransportFailure``s.
final class HTTPTransport: Sendable {
    let client: HTTPClient
    /// Whether ``shutdown()`` shuts the pool down: only one this transport made.
    let ownsClient: Bool
    let configuration: HTTPConfiguration
    private let shutDown = Atomic<Bool>(false)

    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    /// A transport over `httpClient` (whose own TLS, proxy, connect-timeout and redirect settings then apply), or over
    /// a pool made from `configuration` for requests to `targetScheme://targetHost`.
    init(
        configuration: HTTPConfiguration,
        targetScheme: String,
        targetHost: String,
        httpClient: HTTPClient? = nil
    ) throws(IdentityError) {
        self.configuration = configuration
        if let httpClient {
            self.client = httpClient
            self.ownsClient = false
            return
        }
        var tls = TLSConfiguration.makeClientConfigurationWithSystemRoots()
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
        case .environment: config.proxy = try ProxyEnvironment().proxy(forScheme: targetScheme, host: targetHost)
        }
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.ownsClient = true
    }

    /// Shuts an owned pool down (once; later calls return at once); an injected one is left running.
    func shutdown() async throws {
        guard ownsClient, !shutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
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

    /// Sends `request` and reads at most ``HTTPConfiguration/maximumResponseBytes`` of the answer; throws a
    /// ``TransportFailure``, or `CancellationError` when the calling task was cancelled.
    func send(
        _ request: HTTPClientRequest,
        what: String,
        timeout: Duration? = nil
    ) async throws -> Answer {
        do {
            let response = try await client.execute(
                request,
                timeout: .nanoseconds(Int64((timeout ?? configuration.requestTimeout).nanoseconds))
            )
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: configuration.maximumResponseBytes)
            } catch is NIOTooManyBytesError {
                throw TransportFailure(
                    kind: .tooLarge(status: Int(response.status.code)),
                    message: "the \(what) answer (HTTP \(response.status.code)) is larger than "
                        + "\(configuration.maximumResponseBytes) bytes (HTTPConfiguration.maximumResponseBytes)"
                )
            }
            return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: body))
        } catch let failure as TransportFailure {
            throw failure
        } catch {
            // A cancelled request ends as the caller's cancellation, not as a network failure.
            if error is CancellationError || (error as? HTTPClientError) == .cancelled || Task.isCancelled {
                throw CancellationError()
            }
            throw Self.classify(error, what: what, url: request.url)
        }
    }

    static func classify(_ error: any Error, what: String, url: String) -> TransportFailure {
        let host = URLComponents(string: url)?.encodedHost ?? "?"
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout:
                return TransportFailure(
                    kind: .timeout,
                    message: "the \(what) request to \(host) timed out: the server is slow or unreachable"
                )
            default: break
            }
        }
        if error is NIOSSLError || error is BoringSSLError || String(reflecting: error).contains("SSL") {
            return TransportFailure(
                kind: .tls,
                message: "TLS with \(host) failed (\(String(describing: error).prefix(160))): if the server uses a "
                    + "private CA (such as the emulator's development CA) pass it with caFile / --ca-file / TESSERA_CA_FILE"
            )
        }
        return TransportFailure(
            kind: .network,
            message: "the \(what) request to \(host) failed: \(String(describing: error).prefix(160)). Check the host "
                + "name, network and proxy settings (HTTPS_PROXY/NO_PROXY)"
        )
    }
}
