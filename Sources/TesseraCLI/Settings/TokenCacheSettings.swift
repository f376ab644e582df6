import Foundation
import Logging
import Tessera
import TesseraJOSE
import TesseraPostgres

/// The fleet's shared token cache for `token`, `call` and `run`: `TESSERA_TOKEN_CACHE` (with `_LISTEN`, `_KEY_FILE`
/// or `_KEY`), else the configuration file's `Cache` section (`Url`, `ListenUrl`, `KeyFile`).
enum TokenCacheSettings {
    static let example =
        #""Cache": {"Url": "postgres://tessera@db:5432/tessera", "KeyFile": "/etc/tessera/cache.keys"}"#

    /// The configured cache, or `nil` when none is.
    static func cache(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        file: String?,
        logger: Logger
    ) throws -> PostgresTokenCache? {
        if let configuration = try PostgresTokenCache.Configuration.fromEnvironment(environment) {
            return PostgresTokenCache(configuration: configuration, logger: logger)
        }
        guard let file, let root = try? AppSettingsFile.object(path: file),
            let section = AppSettingsFile.member(root, "Cache")?.objectValue
        else { return nil }
        guard let url = AppSettingsFile.member(section, "Url")?.stringValue, !url.isEmpty else {
            throw SettingError("\(file): Cache.Url is missing; e.g. \(example)")
        }
        let configuration = try PostgresTokenCache.Configuration(
            url: url,
            listen: AppSettingsFile.member(section, "ListenUrl")?.stringValue
                ?? environment["TESSERA_TOKEN_CACHE_LISTEN"],
            keyFile: AppSettingsFile.member(section, "KeyFile")?.stringValue
                ?? environment["TESSERA_TOKEN_CACHE_KEY_FILE"],
            key: environment["TESSERA_TOKEN_CACHE_KEY"],
            environment: environment
        )
        return PostgresTokenCache(configuration: configuration, logger: logger)
    }

    /// `body` with `cache` running (its pool and `LISTEN` connection) for its duration.
    static func withRunning<R: Sendable>(_ cache: PostgresTokenCache?, _ body: () async throws -> R) async throws -> R {
        guard let cache else { return try await body() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cache.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
