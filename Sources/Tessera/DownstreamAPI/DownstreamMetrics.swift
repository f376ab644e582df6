import CoreMetrics
import Foundation
import TesseraJOSE

/// The caller's counters; labels never carry URLs, tokens or tenants.
struct DownstreamMetrics: Sendable {
    let factory: any MetricsFactory
    let duration: CoreMetrics.Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        duration = CoreMetrics.Timer(label: "tessera_downstream_request_duration_seconds", factory: factory)
    }

    func requests(result: String) -> Counter {
        Counter(label: "tessera_downstream_requests_total", dimensions: [("result", result)], factory: factory)
    }

    func retries(reason: String) -> Counter {
        Counter(label: "tessera_downstream_retries_total", dimensions: [("reason", reason)], factory: factory)
    }
}
