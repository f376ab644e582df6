import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The operator's endpoint on loopback: with ``Onboarding``, also `/onboarding/start` and `/onboarding/callback`;
/// `GET /healthz` (200 while every job's last run succeeded, else 503, with the
/// jobs' state as JSON) and `GET /metrics` (Prometheus text format from the registry the metrics factory writes to).
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
        let router = Router()
        router.get("healthz") { _, _ -> Response in
            let jobs = scheduler?.status ?? []
            let healthy = jobs.allSatisfy(\.healthy)
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
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
                let bound = channel.localAddress?.port ?? port
                logger.notice("operator endpoint listening", metadata: ["url": "http://127.0.0.1:\(bound)/metrics"])
                await onListening(bound)
            },
            logger: logger
        )
    }

    struct Health: Encodable {
        let status: String
        let jobs: [JobStatus]
    }
}
