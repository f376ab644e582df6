import Configuration
import CoreMetrics
import Foundation
import Logging
import Synchronization

extension ChainedTokenSource {
    /// The steps of Azure Identity's chain for daemons.
    public enum StepKind: String, Sendable, CaseIterable {
        /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET` or `AZURE_CLIENT_CERTIFICATE_PATH`
        /// (+ `AZURE_CLIENT_CERTIFICATE_PASSWORD`, `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN`); `AZURE_AUTHORITY_HOST`.
        case environment = "EnvironmentCredential"
        /// `AZURE_FEDERATED_TOKEN_FILE` with `AZURE_TENANT_ID` and `AZURE_CLIENT_ID` (AKS workload identity).
        case workloadIdentity = "WorkloadIdentityCredential"
        /// App Service's `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, else IMDS (`AZURE_POD_IDENTITY_AUTHORITY_HOST`);
        /// `AZURE_CLIENT_ID` selects a user-assigned identity.
        case managedIdentity = "ManagedIdentityCredential"
    }

    /// Environment → workload identity → managed identity, from `environment`, narrowed by `only` or by
    /// `AZURE_TOKEN_CREDENTIALS` (`prod`, or one step's name such as `ManagedIdentityCredential`). The variables are
    /// read through swift-configuration with the keys of
    /// ``ConfidentialClient/Configuration/init(configReader:places:http:managedIdentityEndpoint:)`` (`REGION_NAME`
    /// included), so both accept the same settings.
    public static func environment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        only: [StepKind]? = nil,
        http: HTTPConfiguration = HTTPConfiguration(),
        logger: Logger = Logger(label: "tessera", factory: { _ in SwiftLogNoOpLogHandler() }),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws(IdentityError) -> ChainedTokenSource {
        let reader = ConfigReader(provider: EnvironmentVariablesProvider.ignoringEmptyValues(environment))
        let places = SettingPlaces(file: "no configuration file (the environment only)")
        var kinds = only ?? StepKind.allCases
        if only == nil, let narrowed = reader.value(.tokenCredentials) {
            if narrowed.lowercased() == "prod" {
                kinds = StepKind.allCases
            } else if let kind = StepKind.allCases.first(where: { $0.rawValue.lowercased() == narrowed.lowercased() }) {
                kinds = [kind]
            } else {
                throw IdentityError(
                    .invalidConfiguration,
                    "AZURE_TOKEN_CREDENTIALS '\(narrowed.prefix(64))' is not 'prod' or one of "
                        + StepKind.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
        }
        @Sendable func client(
            _ credential: any ClientCredential
        ) throws -> (source: any TokenSource, shutdown: @Sendable () async throws -> Void) {
            guard let tenant = reader.value(.tenant), let clientID = reader.value(.client) else {
                throw IdentityError(.credentialUnavailable, "AZURE_TENANT_ID and AZURE_CLIENT_ID are not both set")
            }
            var configuration = ConfidentialClient.Configuration(
                clientID: clientID,
                authority: try .microsoft(
                    tenant: tenant,
                    cloud: try ConfidentialClient.Configuration.cloud(reader, places: places)
                ),
                credential: credential
            )
            configuration.http = http
            configuration.region = try ConfidentialClient.Configuration.region(reader, places: places)
            let client = try ConfidentialClient(
                configuration: configuration,
                logger: logger,
                metricsFactory: metricsFactory
            )
            return (client, { try await client.shutdown() })
        }
        let steps: [Step] = kinds.map { kind in
            switch kind {
            case .environment:
                return Step(name: "environment (\(kind.rawValue))") {
                    if reader.value(.secret) != nil || reader.value(.certificatePath) != nil {
                        return try client(
                            try ConfidentialClient.Configuration.credential(
                                reader,
                                places: places,
                                http: http,
                                managedIdentityEndpoint: { .fromEnvironment(environment) }
                            )
                        )
                    }
                    throw IdentityError(
                        .credentialUnavailable,
                        "neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is set"
                    )
                }
            case .workloadIdentity:
                return Step(name: "workload identity (\(kind.rawValue))") {
                    guard let file = reader.value(.federatedTokenFile) else {
                        throw IdentityError(.credentialUnavailable, "AZURE_FEDERATED_TOKEN_FILE is not set")
                    }
                    return try client(ClientAssertionCredential(file: file))
                }
            case .managedIdentity:
                return Step(name: "managed identity (\(kind.rawValue))") {
                    let identity: ManagedIdentityTokenSource.Identity =
                        reader.value(.client).map { .clientID($0) } ?? .system
                    let source = try ManagedIdentityTokenSource(
                        identity: identity,
                        endpoint: .fromEnvironment(environment),
                        http: http,
                        logger: logger
                    )
                    return (
                        source.cached(logger: logger, metricsFactory: metricsFactory), { try await source.shutdown() }
                    )
                }
            }
        }
        return ChainedTokenSource(steps, logger: logger)
    }
}
