import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Synchronization
import Tessera
import TesseraJOSE

/// The operator's endpoint on loopback: with ``Onboarding``, also `/onboarding/start` and `/onboarding/callback`;
/// `GET /healthz` (200 while every job's last run succeeded, else 503, with the
/// jobs' state as JSON) and `GET /metrics` (Prometheus text format from the registry the metrics factory writes to).
///
/// It answers only requests whose `Host` is `localhost`, `127.0.0.1` or `[::1]` with its port, or the authority of
/// the onboarding redirect URI (a reverse proxy's public name); any other gets 421 Misdirected Request, so a web page
/// whose name was rebound to 127.0.0.1 (DNS rebinding) cannot read `/metrics` or drive onboarding.
public enum OperatorEndpoint {
    /// The Hummingbird application (a `Service`) serving both routes on `127.0.0.1:port` (`0` picks a free port;
    /// `onListening` gets the bound port).
    public static func application(
        port: Int,
        registry: PrometheusCollectorRegistry,
        scheduler: JobScheduler?,
        onboarding: Onboarding? = nil,
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: OperatorRequestContext.self)
        let bound = BoundPort(port)
        router.add(
            middleware: HostCheck(
                port: bound,
                alsoAllowed: onboarding.map { LoopbackHost.hostHeaderForms(ofURL: $0.redirectURI) } ?? []
            )
        )
        router.get("healthz") { _, _ -> Response in
            let jobs = scheduler?.status ?? []
            let healthy = jobs.allSatisfy(\.healthy)
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = InternetDateTime.encodingStrategy  // .iso8601 without ICU
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(Health(status: healthy ? "ok" : "failing", jobs: jobs))) ?? Data()
            return Response(
                status: healthy ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        router.get("metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
        onboarding?.register(on: router, logger: logger)
        return Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "tessera"),
            onServerRunning: { channel in
                let listening = channel.localAddress?.port ?? port
                bound.set(listening)  // before the first request is handled
                logger.notice("operator endpoint listening", metadata: ["url": "http://127.0.0.1:\(listening)/metrics"])
                await onListening(listening)
            },
            logger: logger
        )
    }

    struct Health: Encodable {
        let status: String
        let jobs: [JobStatus]
    }

    /// The port the endpoint listens on, known once it is bound (`0` asks for a free one).
    final class BoundPort: Sendable {
        private let port: Mutex<Int>
        init(_ port: Int) { self.port = Mutex(port) }
        var value: Int { port.withLock { $0 } }
        func set(_ value: Int) { port.withLock { $0 = value } }
    }

    /// 421 Misdirected Request unless the `Host` header is allowed
    /// (``LoopbackHost/allowsHostHeader(_:boundPort:defaultPort:alsoAllowed:)``); two `Host` headers are refused too.
    struct HostCheck: RouterMiddleware {
        typealias Context = OperatorRequestContext
        let port: BoundPort
        /// `Host` values of the onboarding redirect URI (its public name behind a reverse proxy).
        let alsoAllowed: [String]

        func handle(
            _ request: Request,
            context: Context,
            next: (Request, Context) async throws -> Response
        ) async throws -> Response {
            let bound = port.value
            // HTTP/1's first Host header becomes the authority; a second one stays among the fields.
            let extraHost = request.headers.contains { $0.name.canonicalName == "host" }
            let allowed = LoopbackHost.allowsHostHeader(
                request.head.authority,
                boundPort: bound,
                defaultPort: 80,
                alsoAllowed: alsoAllowed
            )
            guard !extraHost, allowed else {
                let message =
                    "this endpoint answers only requests whose Host header is localhost:\(bound), 127.0.0.1:\(bound)"
                    + " or [::1]:\(bound)\(alsoAllowed.isEmpty ? "" : " or the onboarding redirect URI's host")"
                let object = ["error": "misdirected_request", "message": message]
                let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
                return Response(
                    status: .misdirectedRequest,
                    headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: body))
                )
            }
            return try await next(request, context)
        }
    }
}
