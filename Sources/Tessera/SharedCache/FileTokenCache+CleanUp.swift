import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FileTokenCache {
    /// How long an expired entry is kept (a clock step back must not make a replica refetch what it just had).
    static let expiredKept: TimeInterval = 300
    /// How old an unreadable entry (another key's, tampered) or a temporary file left by a killed writer must be to be
    /// removed.
    static let strayKept: TimeInterval = 3600

    /// Once a minute at most: ``cleanUp()``.
    func cleanUpIfDue() {
        let now = now()
        let due = lastCleanUp.withLock { last in
            guard now.timeIntervalSince(last) >= 60 else { return false }
            last = now
            return true
        }
        if due { cleanUp() }
    }

    /// Removes expired entries nobody holds a lease on, unreadable entries and temporary files older than an hour.
    /// An entry is removed under its lock (its lock file first), so a claim racing it locks a fresh file.
    func cleanUp() {
        let now = now()
        lastCleanUp.withLock { $0 = now }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for file in names {
            let path = folder + "/" + file
            if file.hasPrefix("."), file.contains(".tmp-") {
                if age(path, now: now) > Self.strayKept { unlink(path) }
                continue
            }
            guard file.hasSuffix(".entry") else { continue }
            let name = String(file.dropLast(".entry".count))
            guard let descriptor = try? lockCurrent(name) else { continue }
            defer { FileTokenCacheFiles.unlock(descriptor) }
            let (record, _) = record(name)
            let expired: Bool
            if let record {
                let expiresOn = record.payload?.expiresOn ?? 0
                let failureOver = (record.failure?.until ?? 0) < now.timeIntervalSince1970
                expired =
                    expiresOn + Self.expiredKept < now.timeIntervalSince1970 && failureOver
                    && age(path, now: now) > Self.expiredKept
            } else {
                expired = age(path, now: now) > Self.strayKept
            }
            if expired {
                // The entry first: a claim that locks a new lock file after this finds no entry to lose.
                unlink(entryPath(name))
                unlink(lockPath(name))
            }
        }
    }

    /// Seconds since `path` was last modified (0 when it cannot be read).
    func age(_ path: String, now: Date) -> TimeInterval {
        guard let stamp = FileTokenCacheFiles.stamp(path) else { return 0 }
        return now.timeIntervalSince1970 - Double(stamp[2]) - Double(stamp[3]) / 1e9
    }

    /// Entries sealed under a key this process does not have (the key changed, or another deployment writes here):
    /// an error naming the folder, the key version found and the fix, so the caller warns once and runs without.
    func refuseOtherKeys(_ names: [String]) throws(IdentityError) {
        let versions = Set(keys.versions)
        for file in names where file.hasSuffix(".entry") {
            guard let bytes = FileTokenCacheFiles.read(folder + "/" + file),
                let newline = bytes.prefix(64).firstIndex(of: 0x0A)
            else { continue }
            let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 3, !versions.contains(String(header[2])) else { continue }
            throw IdentityError.invalidConfiguration(
                "the token cache folder \(folder) holds entries sealed under another key (version \(header[2]), "
                    + "this process has \(keys.versions.joined(separator: ", "))): put the key that wrote them after the "
                    + "new one in TESSERA_TOKEN_CACHE_KEY_FILE, or remove them (rm \(folder)/*.entry)"
            )
        }
    }
}
