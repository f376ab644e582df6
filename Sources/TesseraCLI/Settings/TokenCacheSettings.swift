import Foundation
import Logging
import ServiceLifecycle
import Tessera
import TesseraJOSE
import TesseraPostgres

/// The second-level token cache for `token`, `call` and `run`: `TESSERA_TOKEN_CACHE` (with `_LISTEN`, `_KEY_FILE` or
/// `_KEY`), else the configuration file's `Cache` section (`Url`, `ListenUrl`, `KeyFile`). A `postgres://` URL is the
/// fleet's cache; a `file:///path` URL this host's encrypted file cache.
enum TokenCacheSettings {
    static let example =
        #""Cache": {"Url": "postgres://tessera@db:5432/tessera", "KeyFile": "/etc/tessera/cache.keys"}"#

    /// The configured cache, or `nil` when none is — or when the file cache's folder is not private: then one warning
    /// (naming the path, what was found and the fix) goes to standard error and the command runs without it.
    static func cache(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        file: String?,
        logger: Logger
    ) throws -> (any SharedTokenCache)? {
        let url: String
        let listen: String?
        let keyFile: String?
        if let value = environment["TESSERA_TOKEN_CACHE"], !value.isEmpty {
            (url, listen, keyFile) = (
                value, environment["TESSERA_TOKEN_CACHE_LISTEN"], environment["TESSERA_TOKEN_CACHE_KEY_FILE"]
            )
        } else {
            guard let file, let root = try? AppSettingsFile.object(path: file),
                let section = AppSettingsFile.member(root, "Cache")?.objectValue
            else { return nil }
            guard let value = AppSettingsFile.member(section, "Url")?.stringValue, !value.isEmpty else {
                throw SettingError("\(file): Cache.Url is missing; e.g. \(example)")
            }
            url = value
            listen =
                AppSettingsFile.member(section, "ListenUrl")?.stringValue ?? environment["TESSERA_TOKEN_CACHE_LISTEN"]
            keyFile =
                AppSettingsFile.member(section, "KeyFile")?.stringValue ?? environment["TESSERA_TOKEN_CACHE_KEY_FILE"]
        }
        if url.lowercased().hasPrefix("file:") {
            return try fileCache(
                url: url,
                keyFile: keyFile,
                key: environment["TESSERA_TOKEN_CACHE_KEY"],
                logger: logger
            )
        }
        let configuration = try PostgresTokenCache.Configuration(
            url: url,
            listen: listen,
            keyFile: keyFile,
            key: environment["TESSERA_TOKEN_CACHE_KEY"],
            environment: environment
        )
        return PostgresTokenCache(configuration: configuration, logger: logger)
    }

    /// The file cache at `file:///path`; a folder or file that is not private is the one warning and no cache.
    static func fileCache(url: String, keyFile: String?, key: String?, logger: Logger) throws -> FileTokenCache? {
        guard url.lowercased().hasPrefix("file:///"), let path = URL(string: url)?.path, path.count > 1 else {
            throw SettingError(
                "the token cache URL \(url) is not a file URL with an absolute path: e.g. file:///var/lib/tessera/tokens"
            )
        }
        let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
        if let keyFile,
            (keyFile.hasPrefix("/") ? keyFile : FileManager.default.currentDirectoryPath + "/" + keyFile)
                .hasPrefix(folder + "/")
        {
            throw SettingError(
                "the token cache key file \(keyFile) is inside the cache folder \(folder): keep the key apart from "
                    + "what it encrypts (e.g. /etc/tessera/cache.keys)"
            )
        }
        let keys = try TokenCacheKeys.fromSettings(keyFile: keyFile, key: key, for: url)
        do {
            return try FileTokenCache(folder: folder, keys: keys, logger: logger)
        } catch {
            FileHandle.standardError.write(
                Data("tessera: warning: \(error.message); running without the file token cache\n".utf8)
            )
            return nil
        }
    }

    /// `body` with `cache` running (a PostgreSQL cache's pool and `LISTEN` connection) for its duration.
    static func withRunning<R: Sendable>(
        _ cache: (any SharedTokenCache)?,
        _ body: () async throws -> R
    ) async throws -> R {
        guard let service = cache as? any Service else { return try await body() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
