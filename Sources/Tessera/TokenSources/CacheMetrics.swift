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
    let sharedHits: Counter
    let sharedMisses: Counter
    let sharedErrors: Counter
    let sharedUnreadable: Counter
    let sharedLatency: CoreMetrics.Timer
    let leasesAcquired: Counter
    let leasesWaited: Counter
    let leasesTimedOut: Counter
    let sharedThrottles: Counter
    let sharedThrottlesPublished: Counter

    init(factory: any MetricsFactory) {
        self.factory = factory
        hits = Counter(label: "tessera_cache_hits_total", factory: factory)
        misses = Counter(label: "tessera_cache_misses_total", factory: factory)
        evictions = Counter(label: "tessera_cache_evictions_total", factory: factory)
        throttled = Counter(label: "tessera_throttled_total", factory: factory)
        refreshFailures = Counter(label: "tessera_refresh_failures_total", factory: factory)
        sharedHits = Counter(label: "tessera_shared_cache_hits_total", factory: factory)
        sharedMisses = Counter(label: "tessera_shared_cache_misses_total", factory: factory)
        sharedErrors = Counter(label: "tessera_shared_cache_errors_total", factory: factory)
        sharedUnreadable = Counter(label: "tessera_shared_cache_unreadable_total", factory: factory)
        sharedLatency = CoreMetrics.Timer(label: "tessera_shared_cache_duration_seconds", factory: factory)
        leasesAcquired = Counter(label: "tessera_shared_cache_leases_acquired_total", factory: factory)
        leasesWaited = Counter(label: "tessera_shared_cache_lease_waits_total", factory: factory)
        leasesTimedOut = Counter(label: "tessera_shared_cache_leases_timed_out_total", factory: factory)
        sharedThrottles = Counter(label: "tessera_shared_cache_throttled_total", factory: factory)
        sharedThrottlesPublished = Counter(label: "tessera_shared_cache_failures_shared_total", factory: factory)
    }

    func refreshes(_ reason: String) -> Counter {
        Counter(label: "tessera_refreshes_total", dimensions: [("reason", reason)], factory: factory)
    }
}
