import CoreMetrics
import Logging
import Prometheus
import ServiceLifecycle

/// A daemon: jobs on schedules, clean shutdown on SIGTERM/SIGINT, systemd notifications, and optionally the
/// operator endpoint (`/healthz`, `/metrics`) on loopback.
///
/// ```swift
/// let daemon = Daemon(jobs: [sync], logger: logger)
/// try await daemon.run()
/// ```
public struct Daemon: Sendable {
    /// How the daemon shuts down and whether it serves the operator endpoint.
    public struct Configuration: Sendable {
        /// How long an in-flight job may run on after SIGTERM/SIGINT. Default 10 s.
        public var shutdownTimeout: Duration = .seconds(10)
        /// Serve `/healthz` and `/metrics` on `127.0.0.1:port` (`0`: any free port). Default off.
        public var operatorPort: Int?
        /// The registry `/metrics` shows: the one behind the `PrometheusMetricsFactory` given to the libraries.
        public var registry: PrometheusCollectorRegistry?
        /// ISV onboarding routes on the operator endpoint (needs ``operatorPort``).
        public var onboarding: Onboarding?
        /// Services the jobs use — a `ConfidentialClient`, for its proactive refreshes — run in the daemon's
        /// `ServiceGroup`, started before the jobs and shut down after them. Default none.
        public var services: [any Service] = []
        /// Called with the operator endpoint's port once it listens.
        public var onListening: @Sendable (Int) async -> Void = { _ in }
        /// The defaults: 10 s shutdown timeout, no operator endpoint, no onboarding.
        public init() {}
    }

    /// The jobs the daemon runs.
    public let jobs: [DaemonJob]
    /// How it shuts down and what the operator endpoint serves.
    public let configuration: Configuration
    let logger: Logger
    let metricsFactory: any MetricsFactory

    /// A daemon running `jobs`; job metrics go to `metricsFactory` (default: discarded).
    public init(
        jobs: [DaemonJob],
        configuration: Configuration = Configuration(),
        logger: Logger,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.jobs = jobs
        self.configuration = configuration
        self.logger = logger
        self.metricsFactory = metricsFactory
    }

    /// Runs until SIGTERM/SIGINT (or until every `.once` job is done); throws if a `.once` job failed or the operator
    /// port cannot be bound.
    public func run() async throws {
        var schedulerConfiguration = JobScheduler.Configuration()
        schedulerConfiguration.shutdownTimeout = configuration.shutdownTimeout
        let scheduler = JobScheduler(
            jobs: jobs,
            configuration: schedulerConfiguration,
            logger: logger,
            metricsFactory: metricsFactory
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let port = configuration.operatorPort {
            let application = OperatorEndpoint.application(
                port: port,
                registry: configuration.registry ?? PrometheusCollectorRegistry(),
                scheduler: scheduler,
                onboarding: configuration.onboarding,
                logger: logger,
                onListening: configuration.onListening
            )
            services.append(.init(service: application))
        }
        // Shut down in reverse order: the systemd service, last, hears SIGTERM first; the jobs end before the services
        // they use (the clients). The scheduler ending (all `.once` jobs done) stops the daemon.
        services += configuration.services.map { .init(service: $0) }
        services.append(
            .init(
                service: scheduler,
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup
            )
        )
        services.append(.init(service: SystemdService(logger: logger)))
        var group = ServiceGroupConfiguration(services: services, logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout + .seconds(5)
        logger.info(
            "daemon starting",
            metadata: ["jobs": "\(jobs.map { "\($0.name) (\($0.schedule))" }.joined(separator: ", "))"]
        )
        try await ServiceGroup(configuration: group).run()
        logger.info("daemon stopped")
    }
}
