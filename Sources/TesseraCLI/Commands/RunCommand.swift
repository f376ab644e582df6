import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Tessera
import TesseraDaemon
import TesseraJOSE
import TesseraPostgres

/// `tessera run`: the daemon. Runs the configuration file's jobs on their schedules until SIGTERM/SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "Run the configuration file's jobs (call a downstream API, all pages, write JSON lines) on schedules until SIGTERM/SIGINT.",
        discussion: """
            The file holds the client's settings (AzureAd, as for every command), DownstreamApis, and:
              "Daemon": {
                "ShutdownTimeoutSeconds": 10,
                "MetricsPort": 9464,
                "Jobs": [{"Name": "users", "Api": "Graph", "RelativePath": "users?$top=100",
                          "Schedule": "every 5m", "Output": "users.jsonl"}]
              }
            Schedule: "once" or "every <n>s|m|h". Output: "-" (stdout, the default) or a file, replaced atomically each run (mode 0600).
            A job may name "Url" and "Scopes" instead of "Api". Under systemd (Type=notify) it sends READY, WATCHDOG, STOPPING.
            """
    )

    @Option(
        help:
            "Serve /healthz and /metrics (Prometheus) on 127.0.0.1:<port>; 0 picks a free port. Overrides Daemon.MetricsPort."
    )
    var metricsPort: Int?

    @Option(
        help:
            "Seconds an in-flight job may run on after SIGTERM/SIGINT. Overrides Daemon.ShutdownTimeoutSeconds (default 10)."
    )
    var shutdownTimeout: Int?

    @OptionGroup var client: ClientOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.makeLogger(defaultLevel: .info)
        let settings: DaemonSettings
        var configuration: ConfidentialClient.Configuration
        do {
            guard let file = client.configFile() else {
                throw SettingError(
                    "tessera run needs a configuration file with Daemon.Jobs: --config daemon.json (or TESSERA_CONFIG)"
                )
            }
            settings = try DaemonSettings(path: file)
            configuration = try client.configuration(caFile: global.resolvedCAFile)
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.http.caFile = global.resolvedCAFile
        configuration.clientCapabilities = ["cp1"]
        // A Graph scope is assumed only for Graph itself: another API never gets a Graph token by default.
        var configuredJobs = settings.jobs
        for index in configuredJobs.indices where configuredJobs[index].api.scopes.isEmpty {
            guard let cloud = configuration.authority.cloud, cloud.isGraph(configuredJobs[index].api.baseURL) else {
                throw ValidationError(
                    "job \(configuredJobs[index].name): \(configuredJobs[index].api.baseURL) is not Microsoft Graph, so its token's scope "
                        + "must be configured: Scopes in the job or its DownstreamApis entry, e.g. [\"api://reports/.default\"]"
                )
            }
            configuredJobs[index].api.scopes = [cloud.graphResource + "/.default"]
        }
        let prometheus = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: prometheus)
        MetricsSystem.bootstrap(metrics)

        let sharedCache: (any SharedTokenCache)?
        do {
            sharedCache = try TokenCacheSettings.cache(file: client.configFile(), logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.sharedCache = sharedCache
        let tokens = try ConfidentialClient(configuration: configuration, logger: logger, metricsFactory: metrics)
        var apiConfiguration = DownstreamAPIClient.Configuration()
        apiConfiguration.http.caFile = global.resolvedCAFile
        var apis: [DownstreamAPIClient] = []
        var jobs: [DaemonJob] = []
        do {
            let tenants = try TenantRegistry(path: settings.onboarding?.tenantsFile)
            let home = configuration.authority.defaultTenant
            for job in configuredJobs {
                let api = try DownstreamAPIClient(
                    api: job.api,
                    tokenSource: tokens,
                    configuration: apiConfiguration,
                    logger: logger,
                    metricsFactory: metrics
                )
                apis.append(api)
                jobs.append(
                    DaemonJob(name: job.name, schedule: job.schedule) { context in
                        guard job.perTenant else {
                            return try await Self.copy(
                                api: api,
                                path: job.api.relativePath,
                                tenant: nil,
                                paged: job.paged,
                                to: job.output,
                                logger: context.logger
                            )
                        }
                        // The configured tenant and every onboarded one, read at each run: new tenants need no restart.
                        var failures: [String] = []
                        for tenant in ([home].compactMap { $0 } + tenants.tenants).uniqued() {
                            do {
                                try await Self.copy(
                                    api: api,
                                    path: job.api.relativePath,
                                    tenant: tenant,
                                    paged: job.paged,
                                    to: job.output.replacingOccurrences(of: "{tenant}", with: tenant),
                                    logger: context.logger
                                )
                            } catch {
                                context.logger.error(
                                    "tenant run failed",
                                    metadata: ["tenant": "\(tenant)", "error": "\(error)"]
                                )
                                failures.append(tenant)
                            }
                        }
                        if !failures.isEmpty {
                            throw SettingError(
                                "the run failed for tenant(s) \(failures.joined(separator: ", "))"
                            )
                        }
                    }
                )
            }
            var daemon = Daemon.Configuration()
            daemon.shutdownTimeout = .seconds(shutdownTimeout ?? settings.shutdownTimeoutSeconds)
            daemon.operatorPort = metricsPort ?? settings.metricsPort
            daemon.registry = prometheus
            if let onboarding = settings.onboarding {
                guard let cloud = configuration.authority.cloud else {
                    throw SettingError("Daemon.Onboarding needs a Microsoft authority")
                }
                let scope = configuredJobs.first?.api.scopes.first ?? cloud.graphResource + "/.default"
                daemon.onboarding = Onboarding(
                    clientID: configuration.clientID,
                    cloud: cloud,
                    redirectURI: onboarding.redirectURI,
                    registry: tenants
                ) { tenant in
                    try await tokens.token(for: TokenRequest(scope: scope, tenant: tenant, forceRefresh: true))
                }
            }
            daemon.onListening = { port in
                FileHandle.standardError.write(
                    Data("tessera run: operator endpoint on http://127.0.0.1:\(port) (/healthz, /metrics)\n".utf8)
                )
            }
            // The shared cache first (a PostgreSQL one runs; a file cache has nothing to run): the group shuts services
            // down in reverse order, so the client (its proactive refreshes, after the jobs) ends before it.
            daemon.services = ((sharedCache as? any Service).map { [$0] } ?? []) + [tokens]
            try await Daemon(jobs: jobs, configuration: daemon, logger: logger, metricsFactory: metrics).run()
        } catch {
            for api in apis { try? await api.shutdown() }
            try? await tokens.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        for api in apis { try? await api.shutdown() }
        try? await tokens.shutdown()
    }

    /// One run of a job: every item of every page as a JSON line, to stdout or atomically replacing a file.
    static func copy(
        api: DownstreamAPIClient,
        path: String,
        tenant: String?,
        paged: Bool,
        to output: String,
        logger: Logger
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A page at a time: to stdout, or to a temporary file (0600) renamed over the output when the run succeeds.
        let file: SecretFileWriter?
        do {
            file = output == "-" ? nil : try SecretFileWriter(path: output)
        } catch {
            throw SettingError("cannot write the job's Output \(error)")
        }
        var count = 0
        func write(_ items: [JSONValue]) throws {
            var lines = Data()
            for item in items {
                lines.append(try encoder.encode(item))
                lines.append(0x0A)
            }
            count += items.count
            if let file {
                do {
                    try file.append(lines)
                } catch {
                    throw SettingError("cannot write the job's Output \(error)")
                }
            } else {
                FileHandle.standardOutput.write(lines)
            }
        }
        if paged {
            try await api.forEachPage(path, of: JSONValue.self, tenant: tenant) { try write($0) }
        } else {
            try write([try await api.send(.init(path: path, tenant: tenant)).decode(JSONValue.self)])
        }
        do {
            try file?.commit()
        } catch {
            throw SettingError("cannot write the job's Output \(error)")
        }
        logger.info(
            "job wrote items",
            metadata: ["items": "\(count)", "output": "\(output == "-" ? "stdout" : output)"]
        )
    }
}
