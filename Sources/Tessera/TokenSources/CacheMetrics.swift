import CoreMetrics
import Foundation
import Logging
import Synchronization
import TesseraJOSE

/// The cache's counters, created once.
struct CacheMetrics: Sendable {
    let factory: any MetricsFactory
    let hits: Counter
    let misses: Counter
    let evictions: Counter
    let throttled: Counter
    let refreshFailures: Counter

    init(factory: any MetricsFactory) {
        self.factory = factory
        hits = Counter(label: "tessera_cache_hits_total", factory: factory)
        misses = Counter(label: "tessera_cache_misses_total", factory: factory)
        evictions = Counter(label: "tessera_cache_evictions_total", factory: factory)
        throttled = Counter(label: "tessera_throttled_total", factory: factory)
        refreshFailures = Counter(label: "tessera_refresh_failures_total", factory: factory)
    }

    func refreshes(_ reason: String) -> Counter {
        Counter(label: "tessera_refreshes_total", dimensions: [("reason", reason)], factory: factory)
    }
}
