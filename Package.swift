// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Tessera", targets: ["Tessera"]),
        .library(name: "TesseraJOSE", targets: ["TesseraJOSE"]),
        .library(name: "TesseraEmulator", targets: ["TesseraEmulator"]),
        .library(name: "TesseraValidation", targets: ["TesseraValidation"]),
        .library(name: "TesseraHummingbird", targets: ["TesseraHummingbird"]),
        .library(name: "TesseraOpenAPI", targets: ["TesseraOpenAPI"]),
        .library(name: "TesseraDaemon", targets: ["TesseraDaemon"]),
        .library(name: "TesseraPostgres", targets: ["TesseraPostgres"]),
        .executable(name: "tessera", targets: ["TesseraCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "TesseraJOSE",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Tessera",
            dependencies: [
                "TesseraJOSE",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraPostgres",
            dependencies: [
                "Tessera",
                "TesseraJOSE",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraValidation",
            dependencies: [
                "TesseraJOSE",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraHummingbird",
            dependencies: [
                "TesseraValidation",
                "TesseraJOSE",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraEmulator",
            dependencies: [
                "TesseraJOSE",
                "TesseraValidation",
                "TesseraHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraOpenAPI",
            dependencies: [
                "Tessera",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraDaemon",
            dependencies: [
                "Tessera",
                "TesseraJOSE",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "UserSyncExample",
            dependencies: [
                "Tessera",
                "TesseraDaemon",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/UserSync",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "QuickStartExample",
            dependencies: [
                "Tessera",
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            path: "Examples/QuickStart",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FleetProbe",
            dependencies: ["Tessera", "TesseraPostgres"],
            path: "Tests/FleetProbe",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FleetSimulation",
            dependencies: ["Tessera", "TesseraPostgres"],
            path: "Benchmarks/FleetSimulation",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TesseraBenchmarks",
            dependencies: [
                "Tessera",
                "TesseraJOSE",
                "TesseraValidation",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Benchmarks/TesseraBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TesseraBenchProbe",
            dependencies: [
                "Tessera",
                "TesseraJOSE",
                "TesseraValidation",
                "TesseraHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/TesseraBenchProbe",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TesseraCLI",
            dependencies: [
                "Tessera",
                "TesseraPostgres",
                "TesseraDaemon",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                "TesseraEmulator",
                "TesseraValidation",
                "TesseraJOSE",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TesseraTestSupport",
            dependencies: [
                "Tessera",
                "TesseraJOSE",
                "TesseraEmulator",
                "TesseraValidation",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/TesseraTestSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GraphUsersClient",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            path: "Tests/GraphUsersClient",
            exclude: ["openapi.yaml", "openapi-generator-config.yaml", "README.md"]
        ),
        // One test target per module (`swift test --filter TesseraValidationTests`); on Linux they link into one bundle.
        .testTarget(
            name: "TesseraJOSETests",
            dependencies: ["TesseraJOSE", "TesseraTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraTests",
            dependencies: [
                "Tessera",
                "TesseraJOSE",
                "TesseraEmulator",
                "TesseraTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraValidationTests",
            dependencies: [
                "TesseraValidation",
                "Tessera",
                "TesseraJOSE",
                "TesseraEmulator",
                "TesseraTestSupport",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraHummingbirdTests",
            dependencies: [
                "TesseraHummingbird",
                "TesseraValidation",
                "Tessera",
                "TesseraJOSE",
                "TesseraEmulator",
                "TesseraTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraPostgresTests",
            dependencies: [
                "TesseraPostgres",
                "Tessera",
                "TesseraTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraEmulatorTests",
            dependencies: [
                "TesseraEmulator",
                "Tessera",
                "TesseraJOSE",
                "TesseraTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraOpenAPITests",
            dependencies: [
                "TesseraOpenAPI",
                "Tessera",
                "TesseraJOSE",
                "TesseraEmulator",
                "TesseraTestSupport",
                "GraphUsersClient",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TesseraDaemonTests",
            dependencies: [
                "TesseraDaemon",
                "Tessera",
                "TesseraJOSE",
                "TesseraEmulator",
                "TesseraTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `tessera` executable, run as a built binary (TESSERA_BIN): tests never build or `swift run` (BRIEF §9).
        .testTarget(
            name: "TesseraCLITests",
            dependencies: [
                "Tessera",
                "TesseraJOSE",
                "TesseraEmulator",
                "TesseraTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Real peers: MSAL Python, azure-identity, PyJWT, joserfc against the emulator; Tessera against Glewlwyd.
        .testTarget(
            name: "TesseraInteropTests",
            dependencies: [
                "Tessera",
                "TesseraJOSE",
                "TesseraEmulator",
                "TesseraValidation",
                "TesseraTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
