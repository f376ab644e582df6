import ArgumentParser
import Foundation
import Prometheus
import Synchronization
import Tessera

/// An upstream that always has a token: what is measured is the cache in front of it.
struct StaticTokenSource: TokenSource {
    func token(for request: TokenRequest) async throws -> AccessToken {
        AccessToken(
            token: "eyJ0eXAiOiJKV1QifQ.e30.c2ln",
            expiresOn: Date().addingTimeInterval(3600),
            lifetime: 3600,
            tenant: request.tenant,
            scopes: request.scopes
        )
    }
}

/// Cache-hit latency at several cache sizes: the pre-bound source, the keyed hit and a locked dictionary of the same
/// keys (the floor), all in this process, in one random order over every entry.
struct HitLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hits",
        abstract: "Bound hit, keyed hit and the Mutex<[String: AccessToken]> floor at each size."
    )

    @Option(help: "Cache sizes, comma-separated: 10 is 1 tenant × 10 scopes, else size/10 tenants × 10 scopes.")
    var entries = "10,10000,100000"
    @Option(help: "Timed lookups per contender and size (0: fill only, the callgrind baseline).")
    var iterations = 2_000_000
    @Option(help: "Lookups per timed batch.")
    var batch = 100
    @Option(help: "Time only this contender: bound, keyed or floor (for callgrind's per-path counts).")
    var only: Contender?

    enum Contender: String, ExpressibleByArgument, CaseIterable {
        case bound, keyed, floor
    }

    func timed(_ contender: Contender) -> Bool { only == nil || only == contender }

    func run() async throws {
        var rows: [[String: Any]] = []
        for size in entries.split(separator: ",").compactMap({ Int($0) }) {
            rows.append(try await measure(size: size))
        }
        try printJSON(["hits": rows, "iterations": iterations, "batch": batch, "metrics": "prometheus"])
    }

    func measure(size: Int) async throws -> [String: Any] {
        let scopesPerTenant = 10
        let tenants = max(1, size / scopesPerTenant)
        var requests: [TokenRequest] = []
        for tenant in 0..<tenants {
            let tenantID = String(format: "%08x-0000-4000-8000-%012x", tenant, tenant)
            for scope in 0..<scopesPerTenant {
                requests.append(TokenRequest(scope: "https://api\(scope).contoso.example/.default", tenant: tenantID))
            }
        }
        let order = shuffledIndices(requests.count)
        var policy = TokenCachePolicy()
        policy.capacity = max(policy.capacity, requests.count)
        let registry = PrometheusCollectorRegistry()
        let cache = CachingTokenSource(
            upstream: StaticTokenSource(),
            defaultTenant: nil,
            partition: "benchmark",
            policy: policy,
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        let bound = requests.map { BoundTokenSource(request: $0, cache: cache) }
        let floor = Mutex<[String: AccessToken]>([:])
        let floorKeys = requests.map { "\($0.tenant ?? "")|\($0.scopes[0])" }
        for index in requests.indices {
            let token = try await bound[index].token()
            floor.withLock { $0[floorKeys[index]] = token }
        }
        // The keyed hit and the floor borrow their request and key in place, as a caller holding them does (an array
        // element read out of a captured `var` is a copy: five reference counts for a request, one for a string).
        let heldRequests = UnsafeMutableBufferPointer<TokenRequest>.allocate(capacity: requests.count)
        _ = heldRequests.initialize(from: requests)
        let heldKeys = UnsafeMutableBufferPointer<String>.allocate(capacity: floorKeys.count)
        _ = heldKeys.initialize(from: floorKeys)
        defer {
            heldRequests.deinitialize().deallocate()
            heldKeys.deinitialize().deallocate()
        }
        let batches = iterations / batch
        var boundSamples = Samples()
        var keyedSamples = Samples()
        var floorSamples = Samples()
        var position = 0
        func next() -> Int {
            position = position + 1 == order.count ? 0 : position + 1
            return order[position]
        }
        // Interleaved rounds, so a slow moment of the machine is shared by all three.
        let rounds = 10
        for _ in 0..<rounds {
            if timed(.bound) {
                try await boundSamples.measure(batches: batches / rounds, batchSize: batch) {
                    blackHole(try await bound[next()].token())
                }
            }
            if timed(.keyed) {
                try await keyedSamples.measure(batches: batches / rounds, batchSize: batch) {
                    blackHole(try await cache.token(for: heldRequests[next()]))
                }
            }
            if timed(.floor) {
                await floorSamples.measure(batches: batches / rounds, batchSize: batch) {
                    let index = next()
                    blackHole(floor.withLock { $0[heldKeys[index]] })
                }
            }
        }
        await cache.shutdown()
        return [
            "entries": requests.count, "tenants": tenants,
            "bound_p50_ns": boundSamples.percentile(0.5), "bound_p99_ns": boundSamples.percentile(0.99),
            "keyed_p50_ns": keyedSamples.percentile(0.5), "keyed_p99_ns": keyedSamples.percentile(0.99),
            "floor_p50_ns": floorSamples.percentile(0.5), "floor_p99_ns": floorSamples.percentile(0.99),
        ]
    }
}
