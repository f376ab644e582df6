import CoreMetrics

/// The client's counters and timers, created once from the injected `MetricsFactory`. Labels never carry secrets.
struct ClientMetrics: Sendable {
    let factory: any MetricsFactory
    let requestsSucceeded: Counter
    let requestDuration: Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.requestsSucceeded = Counter(
            label: "tessera_token_requests_total",
            dimensions: [("result", "success")],
            factory: factory
        )
        self.requestDuration = Timer(label: "tessera_token_request_duration_seconds", factory: factory)
    }

    func requestFailed(_ code: IdentityError.Code) {
        Counter(label: "tessera_token_requests_total", dimensions: [("result", code.description)], factory: factory)
            .increment()
    }
}
