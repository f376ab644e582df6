import Foundation
import NIOSSL
import PostgresNIO
import Tessera
import TesseraJOSE

extension PostgresTokenCache {
    /// Where the cache lives and how it is reached.
    public struct Configuration: Sendable {
        /// How replicas learn that a key changed.
        public enum Listen: Sendable, Equatable {
            /// `LISTEN` on a dedicated connection to the cache's own server (not behind PgBouncer in transaction mode).
            case cacheServer
            /// `LISTEN` on a dedicated direct connection to this `postgres://` URL (the cache URL points at PgBouncer).
            case url(String)
            /// No notifications: waiters poll every ``TokenCachePolicy/sharedCachePollInterval``.
            case none
        }

        /// Whose clock leases and shared failures are measured on.
        public enum Clock: Sendable, Equatable {
            /// The database server's `now()` (production: every replica on one clock).
            case database
            /// A one-row table moved by ``PostgresTokenCache/setSimulatedTime(_:)`` (simulations and benchmarks).
            case simulated
        }

        /// Where the cache's PostgreSQL is (from the URL).
        var endpoint: Endpoint
        /// The `LISTEN` side. Default ``Listen/cacheServer``.
        public var listen: Listen = .cacheServer
        /// The encryption keys.
        public var keys: TokenCacheKeys
        /// Default ``Clock/database``.
        public var clock: Clock = .database
        /// Who holds a lease (logged, stored in the row). Default: host name, process ID and a random suffix.
        public var leaseOwner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        /// How often expired entries are removed. Default 10 minutes.
        public var cleanupInterval: Duration = .seconds(600)
        /// The pool's largest number of connections. Default 20 (postgres-nio's).
        public var maximumConnections = 20
        /// The URL with its password hidden (for logs and errors).
        public var redactedURL: String { Self.redact(endpoint.url) }

        /// From a `postgres://user[:password]@host[:port]/database[?sslmode=…]` URL; the password, when the URL has
        /// none, from `PGPASSWORD`. `sslmode` as libpq: `disable`; `prefer` (the default) and `require` encrypt without
        /// verifying the server (`prefer` falls back to plain text); `verify-ca` and `verify-full` verify the server's
        /// certificate against the system roots (and its name).
        public init(
            url: String,
            keys: TokenCacheKeys,
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws(IdentityError) {
            self.endpoint = try Endpoint(url: url, environment: environment)
            self.keys = keys
        }

        /// From the environment: `TESSERA_TOKEN_CACHE` (the URL; `nil` when unset), `TESSERA_TOKEN_CACHE_LISTEN` (a
        /// direct URL for `LISTEN`, or `none`), `TESSERA_TOKEN_CACHE_KEY_FILE` (one base64 key per line) or
        /// `TESSERA_TOKEN_CACHE_KEY` (one key), `PGPASSWORD`.
        public static func fromEnvironment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws(IdentityError) -> Configuration? {
            guard let url = environment["TESSERA_TOKEN_CACHE"], !url.isEmpty else { return nil }
            return try Configuration(
                url: url,
                listen: environment["TESSERA_TOKEN_CACHE_LISTEN"],
                keyFile: environment["TESSERA_TOKEN_CACHE_KEY_FILE"],
                key: environment["TESSERA_TOKEN_CACHE_KEY"],
                environment: environment
            )
        }

        /// From the settings `tessera` reads (environment or `daemon.json`'s `Cache` section): the URL, the `LISTEN`
        /// URL or `none`, a key file or one key.
        public init(
            url: String,
            listen: String?,
            keyFile: String?,
            key: String?,
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws(IdentityError) {
            let keys = try TokenCacheKeys.fromSettings(keyFile: keyFile, key: key, for: Self.redact(url))
            try self.init(url: url, keys: keys, environment: environment)
            switch listen?.trimmingCharacters(in: .whitespaces) {
            case nil, "": self.listen = .cacheServer
            case let value? where value.lowercased() == "none": self.listen = .none
            case let value?:
                _ = try Endpoint(url: value, environment: environment)  // checked now, not at the first LISTEN
                self.listen = .url(value)
            }
        }

        /// `url` with its password replaced by `***`.
        public static func redact(_ url: String) -> String {
            if var components = URLComponents(string: url), components.password != nil {
                components.password = "***"
                return components.string ?? "postgres://***"
            }
            // No password as a URL sees it — but a password with a '/', '?' or '#' makes the URL read differently
            // (`postgres://u:12/ab@host`): whatever is between "://" and the last '@' is hidden then too.
            guard let scheme = url.range(of: "://"), let at = url.range(of: "@", options: .backwards),
                scheme.upperBound <= at.lowerBound
            else { return url.contains("@") ? "postgres://***" : url }
            guard url[scheme.upperBound..<at.lowerBound].contains(":") else { return url }  // a user, no password
            return String(url[..<scheme.upperBound]) + "***" + String(url[at.lowerBound...])
        }
    }

    /// A parsed `postgres://` URL.
    struct Endpoint: Sendable {
        enum TLSMode: Sendable { case disable, prefer, require, verifyCA, verifyFull }
        let url: String
        let host: String
        let port: Int
        let user: String
        let password: String?
        let database: String?
        let tls: TLSMode

        init(url: String, environment: [String: String]) throws(IdentityError) {
            let redacted = Configuration.redact(url)
            guard let components = URLComponents(string: url),
                ["postgres", "postgresql"].contains(components.scheme?.lowercased() ?? ""),
                let host = components.connectionHost, !host.isEmpty
            else {
                throw IdentityError.invalidConfiguration(
                    "the token cache URL '\(redacted)' is not postgres://user[:password]@host[:port]/database (TESSERA_TOKEN_CACHE)"
                )
            }
            guard let user = components.user, !user.isEmpty else {
                throw IdentityError.invalidConfiguration(
                    "the token cache URL '\(redacted)' names no user: postgres://user@host:port/database"
                )
            }
            let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value?.lowercased() ?? "prefer"
            switch mode {
            case "disable": tls = .disable
            case "prefer", "allow": tls = .prefer
            case "require": tls = .require
            case "verify-ca": tls = .verifyCA
            case "verify-full": tls = .verifyFull
            default:
                throw IdentityError.invalidConfiguration(
                    "the token cache URL's sslmode '\(mode)' is not disable, prefer, require, verify-ca or verify-full"
                )
            }
            self.url = url
            self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            self.port = components.port ?? 5432
            self.user = user  // URLComponents decodes the user and password already
            self.password = components.password ?? environment["PGPASSWORD"]
            self.database = components.path.split(separator: "/").first.map(String.init)
        }

        /// The TLS settings of the mode, as libpq: `prefer` and `require` encrypt without verifying the server,
        /// `verify-ca` verifies its chain against the system roots, `verify-full` its host name too; `required`:
        /// no plain-text fallback. `nil`: no TLS.
        var tlsSettings: (configuration: TLSConfiguration, required: Bool)? {
            var configuration = TLSConfiguration.makeClientConfigurationWithSystemRoots()
            switch tls {
            case .disable: return nil
            case .prefer, .require: configuration.certificateVerification = .none
            case .verifyCA: configuration.certificateVerification = .noHostnameVerification
            case .verifyFull: configuration.certificateVerification = .fullVerification
            }
            return (configuration, tls != .prefer)
        }

        /// The pool's configuration.
        func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
            let tls: PostgresClient.Configuration.TLS =
                tlsSettings.map { $0.required ? .require($0.configuration) : .prefer($0.configuration) } ?? .disable
            var configuration = PostgresClient.Configuration(
                host: host,
                port: port,
                username: user,
                password: password,
                database: database,
                tls: tls
            )
            configuration.options.connectTimeout = .seconds(5)
            configuration.options.maximumConnections = maximumConnections
            return configuration
        }

        /// A single connection's configuration (the `LISTEN` connection).
        func connectionConfiguration() throws -> PostgresConnection.Configuration {
            var tls = PostgresConnection.Configuration.TLS.disable
            if let settings = tlsSettings {
                let context = try NIOSSLContext(configuration: settings.configuration)
                tls = settings.required ? .require(context) : .prefer(context)
            }
            var configuration = PostgresConnection.Configuration(
                host: host,
                port: port,
                username: user,
                password: password,
                database: database,
                tls: tls
            )
            configuration.options.connectTimeout = .seconds(5)
            return configuration
        }
    }
}
