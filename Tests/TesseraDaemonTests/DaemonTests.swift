import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import MetricsTestKit
import Prometheus
import ServiceLifecycle
import Synchronization
import Tessera
import TesseraDaemon
import TesseraEmulator
import TesseraTestSupport
import Testing

/// Runs `scheduler` in a ServiceGroup until `until` is true, then shuts it down gracefully; returns how long the
/// shutdown took. The wait is generous (the whole suite shares 2 cores in CI); `until` failing to hold fails the test.
@discardableResult
func runScheduler(
    _ scheduler: JobScheduler,
    until: @escaping @Sendable () -> Bool,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> Duration {
    let group = ServiceGroup(
        services: [scheduler],
        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    )
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(120)
        while !until(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(until(), "the condition did not hold within 120 s", sourceLocation: sourceLocation)
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return ContinuousClock.now - started
    }
}

@Suite("Daemon runtime: job scheduler (in process)")
struct JobSchedulerTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("a failing job is logged, counted and retried at its next tick; the daemon lives on")
    func failingJobRetried() async throws {
        let metrics = TestMetrics()
        let runs = Atomic<Int>(0)
        let job = DaemonJob(name: "flaky", schedule: .every(.milliseconds(20))) { _ in
            let run = runs.add(1, ordering: .relaxed).newValue
            if run <= 2 { throw DownstreamAPIError(.network, "injected failure \(run)") }
        }
        let scheduler = JobScheduler(jobs: [job], logger: logger, metricsFactory: metrics)
        try await runScheduler(scheduler) { (scheduler.status.first?.runs ?? 0) >= 4 }
        let status = try #require(scheduler.status.first)
        #expect(status.failures == 2)
        #expect(status.healthy)
        #expect(status.lastError?.contains("injected failure 2") == true)
        #expect(
            try metrics.expectCounter("tessera_job_runs_total", [("job", "flaky"), ("result", "failure")]).totalValue
                == 2
        )
        #expect(
            try metrics.expectCounter("tessera_job_runs_total", [("job", "flaky"), ("result", "success")]).totalValue
                >= 2
        )
        #expect(try metrics.expectTimer("tessera_job_duration_seconds", [("job", "flaky")]).values.count >= 4)
    }

    @Test("once jobs: the scheduler returns when they are done, and throws naming a failed one")
    func onceJobs() async throws {
        let done = Atomic<Int>(0)
        let work: @Sendable (JobContext) async throws -> Void = { _ in done.add(1, ordering: .relaxed) }
        let ok = DaemonJob(name: "ok", schedule: .once, work)
        try await JobScheduler(jobs: [ok, DaemonJob(name: "ok2", schedule: .once, work)], logger: logger).run()
        let completed = done.load(ordering: .relaxed)
        #expect(completed == 2)
        let failing = DaemonJob(name: "broken", schedule: .once) { _ in throw DownstreamAPIError(.timeout, "slow") }
        await #expect(throws: JobScheduler.JobsFailed.self) {
            try await JobScheduler(jobs: [ok, failing], logger: logger).run()
        }
    }

    @Test("shutdown lets the in-flight run finish within the timeout, and cancels it after")
    func shutdownBound() async throws {
        let finished = Atomic<Bool>(false)
        let started = Atomic<Bool>(false)
        let slow = DaemonJob(name: "slow", schedule: .every(.seconds(60))) { _ in
            started.store(true, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(300))
            finished.store(true, ordering: .relaxed)
        }
        var configuration = JobScheduler.Configuration()
        configuration.shutdownTimeout = .seconds(5)
        let patient = JobScheduler(jobs: [slow], configuration: configuration, logger: logger)
        try await runScheduler(patient) { started.load(ordering: .relaxed) }
        let didFinish = finished.load(ordering: .relaxed)
        #expect(didFinish, "the run finished before the scheduler returned")
        #expect(patient.status.first?.failures == 0)

        let endless = DaemonJob(name: "endless", schedule: .every(.seconds(60))) { _ in
            started.store(true, ordering: .relaxed)
            try await Task.sleep(for: .seconds(60))
        }
        configuration.shutdownTimeout = .milliseconds(200)
        started.store(false, ordering: .relaxed)
        let impatient = JobScheduler(jobs: [endless], configuration: configuration, logger: logger)
        let elapsed = try await runScheduler(impatient) { started.load(ordering: .relaxed) }
        #expect(elapsed < .seconds(10), "a 200 ms timeout; took \(elapsed)")
        #expect(impatient.status.first?.failures == 1, "the cancelled run is recorded")
    }

    @Test("schedules: a run longer than the interval delays the next; runs never overlap")
    func noOverlap() async throws {
        let active = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
        let job = DaemonJob(name: "long", schedule: .every(.milliseconds(5))) { _ in
            if active.add(1, ordering: .relaxed).newValue > 1 { overlapped.store(true, ordering: .relaxed) }
            try await Task.sleep(for: .milliseconds(20))
            active.subtract(1, ordering: .relaxed)
        }
        let scheduler = JobScheduler(jobs: [job], logger: logger)
        try await runScheduler(scheduler) { (scheduler.status.first?.runs ?? 0) >= 5 }
        let didOverlap = overlapped.load(ordering: .relaxed)
        #expect(!didOverlap)
    }
}

@Suite("systemd notification protocol")
struct SystemdNotifierTests {
    @Test(
        "READY, WATCHDOG at half WATCHDOG_USEC, STOPPING; nothing without NOTIFY_SOCKET; WATCHDOG_PID of another process ignored"
    )
    func notifier() async throws {
        let path = NSTemporaryDirectory() + "tessera-notify-\(UUID().uuidString.prefix(8)).sock"
        let socket = try NotifySocket(path: path)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.watchdogInterval == .seconds(1))
        #expect(notifier.notify("READY=1"))
        #expect(await socket.waitFor("READY=1", timeout: .seconds(2)))
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(
            SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"])
                .watchdogInterval == nil
        )
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/socket"]).notify("READY=1"))
    }
}

@Suite("Operator endpoint: /healthz and /metrics (in process, real HTTP)")
struct OperatorEndpointTests {
    @Test("/healthz is 503 while a job's last run failed, 200 after it recovers; /metrics shows the job counters")
    func health() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: registry)
        let failing = Atomic<Bool>(true)
        let job = DaemonJob(name: "sync", schedule: .every(.milliseconds(20))) { _ in
            if failing.load(ordering: .relaxed) { throw DownstreamAPIError(.network, "down") }
        }
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let scheduler = JobScheduler(jobs: [job], logger: logger, metricsFactory: metrics)
        let port = Atomic<Int>(0)
        let endpoint = OperatorEndpoint.application(port: 0, registry: registry, scheduler: scheduler, logger: logger) {
            port.store($0, ordering: .relaxed)
        }
        let group = ServiceGroup(services: [endpoint, scheduler], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            func get(_ path: String) async throws -> (Int, String) {
                let response = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port.load(ordering: .relaxed))\(path)"),
                    timeout: .seconds(5)
                )
                return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
                for _ in 0..<4800 {
                    if port.load(ordering: .relaxed) > 0, try await condition() { return true }
                    try await Task.sleep(for: .milliseconds(25))
                }
                return false
            }
            #expect(try await eventually { try await get("/healthz").0 == 503 })
            let (_, failingBody) = try await get("/healthz")
            #expect(failingBody.contains(#""status":"failing""#) && failingBody.contains("down"))
            failing.store(false, ordering: .relaxed)
            #expect(try await eventually { try await get("/healthz").0 == 200 })
            let (status, text) = try await get("/metrics")
            #expect(status == 200)
            #expect(text.contains(#"tessera_job_runs_total{job="sync",result="failure"}"#))
            #expect(text.contains(#"tessera_job_runs_total{job="sync",result="success"}"#))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

@Suite("TenantRegistry: onboarded tenants kept across restarts")
struct TenantRegistryTests {
    @Test("adds GUIDs once, persists atomically (0600), reloads; refuses non-GUIDs and a corrupt file")
    func registry() throws {
        let path = NSTemporaryDirectory() + "tessera-tenants-\(UUID().uuidString.prefix(8)).json"
        defer { unlink(path) }
        let registry = try TenantRegistry(path: path)
        #expect(try registry.add("66666666-7777-8888-9999-000000000000"))
        #expect(try !registry.add("66666666-7777-8888-9999-000000000000".uppercased()))
        #expect(throws: TenantRegistry.RegistryError.self) { try registry.add("fabrikam.example") }
        #expect(try TenantRegistry(path: path).tenants == ["66666666-7777-8888-9999-000000000000"])
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        try "{not json".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TenantRegistry.RegistryError.self) { try TenantRegistry(path: path) }
    }

    @Test("reads a registry JSONEncoder's .iso8601 wrote, and writes its dates in the same form")
    func readsTheISO8601Form() throws {
        let path = NSTemporaryDirectory() + "tessera-tenants-\(UUID().uuidString.prefix(8)).json"
        defer { unlink(path) }
        let written =
            #"{"tenants":[{"id":"66666666-7777-8888-9999-000000000000","onboardedAt":"2025-01-02T03:04:05Z"}]}"#
        try written.write(toFile: path, atomically: true, encoding: .utf8)
        let registry = try TenantRegistry(path: path)
        #expect(registry.tenants == ["66666666-7777-8888-9999-000000000000"])
        try registry.add("77777777-8888-9999-0000-111111111111", at: Date(timeIntervalSince1970: 1_798_761_599))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#""2025-01-02T03:04:05Z""#) && text.contains(#""2026-12-31T23:59:59Z""#))
        #expect(try TenantRegistry(path: path).tenants.count == 2)
    }
}
