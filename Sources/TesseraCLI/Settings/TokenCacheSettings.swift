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

    /// The file cache at `file:///path` (or `file://localhost/path`); a folder or file that is not private, or entries
    /// sealed under another key, are the one warning and no cache.
    static func fileCache(url: String, keyFile: String?, key: String?, logger: Logger) throws -> FileTokenCache? {
        let folder = try folderPath(url)
        if let keyFile, let keyPath = realPath(keyFile), let folderPath = realPath(folder),
            keyPath.hasPrefix(folderPath + "/")
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

    /// The absolute folder path of a `file:` URL (RFC 8089: no host, or `localhost`); a query, a fragment, a NUL or a
    /// relative path is an error naming an example.
    static func folderPath(_ url: String) throws -> String {
        let example = "e.g. file:///var/lib/tessera/tokens"
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "file",
            components.query == nil, components.fragment == nil,
            (components.encodedHost ?? "").isEmpty || components.encodedHost?.lowercased() == "localhost",
            components.path.hasPrefix("/"), components.path.count > 1, !components.path.contains("\u{0}")
        else {
            throw SettingError("the token cache URL \(url) is not a file URL with an absolute path: \(example)")
        }
        var path = components.path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// `path` with symlinks, `.` and `..` resolved; for a path that does not exist yet, its nearest existing parent's
    /// resolved path with the rest appended.
    static func realPath(_ path: String) -> String? {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if let resolved = realpath(absolute, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        let parent = (absolute as NSString).deletingLastPathComponent
        guard parent != absolute, let resolvedParent = realPath(parent) else { return nil }
        return resolvedParent + "/" + (absolute as NSString).lastPathComponent
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
