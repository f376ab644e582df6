import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TesseraJOSE

/// A ServiceLifecycle service that runs ``DaemonJob``s on their schedules.
///
/// Jobs run concurrently with each other; a job's runs never overlap. A failing run is logged and counted and the job
/// runs again at its next tick: nothing a job throws stops the daemon. On graceful shutdown (SIGTERM/SIGINT through
/// `ServiceGroup`) no new run starts, an in-flight run may finish within ``Configuration/shutdownTimeout``, then it is
/// cancelled. With only `.once` jobs, ``run()`` returns when they are done, and throws if any failed.
public final class JobScheduler: Service, Sendable {
    /// How the scheduler shuts down.
    public struct Configuration: Sendable {
        /// How long an in-flight run may continue after shutdown begins before it is cancelled. Default 10 s.
        public var shutdownTimeout: Duration = .seconds(10)
        /// The defaults: a 10 s shutdown timeout.
        public init() {}
    }

    /// `.once` jobs that failed.
    public struct JobsFailed: Error, CustomStringConvertible {
        /// The names of the failed jobs.
        public let jobs: [String]
        /// The failed jobs' names, and a pointer to the log for the reasons.
        public var description: String { "job(s) \(jobs.joined(separator: ", ")) failed; see the log above for why" }
    }

    /// The jobs the scheduler runs.
    public let jobs: [DaemonJob]
    /// How it shuts down.
    public let configuration: Configuration
    let logger: Logger
    let factory: any MetricsFactory
    private let state: Mutex<[String: JobStatus]>

    /// A scheduler for `jobs`; run metrics go to `metricsFactory` (default: discarded).
    public init(
        jobs: [DaemonJob],
        configuration: Configuration = Configuration(),
        logger: Logger,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.jobs = jobs
        self.configuration = configuration
        self.logger = logger
        self.factory = metricsFactory
        self.state = Mutex(
            Dictionary(
                uniqueKeysWithValues: jobs.map {
                    ($0.name, JobStatus(name: $0.name, schedule: $0.schedule.description))
                }
            )
        )
    }

    /// Every job's state, in the order given.
    public var status: [JobStatus] {
        state.withLock { state in jobs.compactMap { state[$0.name] } }
    }

    /// Runs every job on its schedule until graceful shutdown, or until all jobs are done; throws ``JobsFailed`` if a
    /// `.once` job failed.
    public func run() async throws {
        let failed = await withTaskGroup(of: String?.self) { group in
            for job in jobs { group.addTask { await self.loop(job) } }
            var failed: [String] = []
            for await name in group { if let name { failed.append(name) } }
            return failed
        }
        if !failed.isEmpty { throw JobsFailed(jobs: failed) }
    }

    /// Runs `job` until shutdown (or once); returns its name if a `.once` job failed.
    func loop(_ job: DaemonJob) async -> String? {
        let clock = ContinuousClock()
        var run = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            run += 1
            let started = clock.now
            let succeeded = await runOnce(job, run: run)
            guard case .every(let interval) = job.schedule else { return succeeded ? nil : job.name }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: started + interval, clock: clock) }
            } catch {
                return nil
            }
        }
        return nil
    }

    /// One run, cancelled if shutdown began more than ``Configuration/shutdownTimeout`` ago.
    func runOnce(_ job: DaemonJob, run: Int) async -> Bool {
        var runLogger = self.logger
        runLogger[metadataKey: "job"] = "\(job.name)"
        runLogger[metadataKey: "run"] = "\(run)"
        let logger = runLogger
        state.withLock { $0[job.name]?.running = true }
        logger.debug("job run started")
        let started = ContinuousClock.now
        let context = JobContext(job: job.name, run: run, logger: logger)
        let timeout = configuration.shutdownTimeout
        // The run and, once shutdown begins, a timer: child tasks of this call, so nothing outlives it.
        let shutdownBegan = SharedResult<Void>()
        let (result, timedOut) = await withGracefulShutdownHandler {
            await withTaskGroup(of: RunEvent.self) { group in
                group.addTask {
                    do {
                        try await job.work(context)
                        return .finished(.success(()))
                    } catch {
                        return .finished(.failure(error))
                    }
                }
                group.addTask {
                    do {
                        try await shutdownBegan.value()
                        logger.info("shutting down: waiting for the in-flight run", metadata: ["timeout": "\(timeout)"])
                        try await Task.sleep(for: timeout)
                        return .shutdownTimeoutPassed
                    } catch {
                        return .timerCancelled  // the run ended first, or this run was cancelled
                    }
                }
                var timedOut = false
                while let event = await group.next() {
                    switch event {
                    case .finished(let result):
                        group.cancelAll()
                        return (result, timedOut)
                    case .shutdownTimeoutPassed:
                        timedOut = true
                        group.cancelAll()  // stop the work
                    case .timerCancelled:
                        continue
                    }
                }
                return (Result<Void, any Error>.failure(CancellationError()), timedOut)
            }
        } onGracefulShutdown: {
            shutdownBegan.finish(.success(()))
        }
        let cancelled = timedOut || Task.isCancelled
        let elapsed = ContinuousClock.now - started
        CoreMetrics.Timer(label: "tessera_job_duration_seconds", dimensions: [("job", job.name)], factory: factory)
            .recordNanoseconds(elapsed.nanoseconds)
        let outcome: String
        switch result {
        case .success:
            outcome = "success"
            state.withLock {
                $0[job.name]?.runs += 1
                $0[job.name]?.lastSuccess = Date()
                $0[job.name]?.running = false
            }
            logger.info("job run succeeded", metadata: ["duration": "\(elapsed)"])
        case .failure(let error):
            outcome = cancelled ? "cancelled" : "failure"
            state.withLock {
                $0[job.name]?.runs += 1
                $0[job.name]?.failures += 1
                $0[job.name]?.running = false
                $0[job.name]?.lastFailure = Date()
                $0[job.name]?.lastError = String(describing: error).prefix(500).description
            }
            if cancelled {
                logger.warning(
                    timedOut
                        ? "job run cancelled: the shutdown timeout passed before it finished"
                        : "job run cancelled: the daemon was cancelled",
                    metadata: ["duration": "\(elapsed)"]
                )
            } else {
                let next = job.schedule == .once ? "not retried (a once job)" : "retried at the next tick"
                logger.error("job run failed; \(next)", metadata: ["error": "\(error)", "duration": "\(elapsed)"])
            }
        }
        Counter(
            label: "tessera_job_runs_total",
            dimensions: [("job", job.name), ("result", outcome)],
            factory: factory
        ).increment()
        return outcome == "success"
    }
}

/// What ends first in one job run: the work, or the shutdown timer.
private enum RunEvent: Sendable {
    case finished(Result<Void, any Error>)
    case shutdownTimeoutPassed
    case timerCancelled
}
