import Foundation
import Logging
import Synchronization
import TesseraJOSE

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The second-level cache of one host: a private folder of encrypted entry files that restarted daemons and `tessera
/// token` runs from cron share, so a token still valid is not asked for again (Entra throttles and flags repeated
/// identical requests). `TESSERA_TOKEN_CACHE=file:///var/lib/tessera/tokens` turns it on for `tessera`.
///
/// - Each cache key is one `<name>.entry` file (the name a keyed hash of the key, as in the fleet cache), sealed as a
///   whole with AES-GCM under the first ``TokenCacheKeys`` key (additional data: name ‖ key version) and written
///   through the safe-write rule: a temporary file created 0600, fsync, rename — a reader sees the old or the new
///   file, never a torn one, even when the writer is SIGKILLed. A file no key opens is a miss.
/// - The lease is an `flock` on `<name>.lock`, held by the process that fetches for as long as it fetches: the others
///   see it and wait (polling the entry every 50 ms) until it publishes, gives up, or dies — the kernel releases a
///   dead process's lock at once; a live holder past its lease end is waited out by the cache's two-lease bound.
/// - The folder must be this user's and mode 0700 (created so when missing), every file in it 0600 and this user's:
///   otherwise ``init(folder:keys:logger:now:)`` throws an error naming the path, what was found and the fix.
/// - Entries sealed under a key this process does not have (the key was replaced, or another deployment writes here)
///   make ``init(folder:keys:logger:now:)`` throw too: the file cache is not used rather than fought over.
/// - Expired entries and stale temporary files are removed when the cache opens and at most once a minute after.
public final class FileTokenCache: SharedTokenCache {
    /// The folder holding the entries.
    public let folder: String
    let keys: TokenCacheKeys
    let now: @Sendable () -> Date
    let logger: Logger
    /// A lease this process holds: the key's entry name and the lease's generation.
    struct HeldLease: Hashable {
        let name: String
        let generation: Int64
    }

    /// The leases this process holds → the locked descriptor and when the lease ends.
    let held = Mutex<[HeldLease: (descriptor: Int32, until: Date)]>([:])
    let lastCleanUp = Mutex<Date>(.distantPast)

    /// Opens the cache in `folder` (created 0700 when missing). Throws ``IdentityError/Code/invalidConfiguration``
    /// when the folder or a file in it is not private to this user — the message names the path and the fix — so the
    /// caller can warn once and run without it.
    public init(
        folder: String,
        keys: TokenCacheKeys,
        logger: Logger = Logger(label: "tessera.file-cache", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(IdentityError) {
        var folder = folder
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        self.folder = folder
        self.keys = keys
        self.now = now
        self.logger = logger
        // The folder itself first (its fix is chmod or chown), then — every time, not only when it is created —
        // the folders above it: one others may write to could have the cache folder swapped under this process.
        if let problem = FileTokenCacheFiles.problem(folder, folder: true) {
            throw IdentityError.invalidConfiguration("the token cache folder \(problem)")
        }
        do {
            try SecretFile.prepareFolder(folder)
        } catch {
            throw IdentityError.invalidConfiguration("the token cache folder \(error)")
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw IdentityError.invalidConfiguration(
                "the token cache folder \(folder) cannot be listed: check that it is yours (chown, chmod 700)"
            )
        }
        for name in names where !name.hasPrefix(".") {
            if let problem = FileTokenCacheFiles.problem(folder + "/" + name, folder: false) {
                throw IdentityError.invalidConfiguration("a token cache file \(problem)")
            }
        }
        try refuseOtherKeys(names)
        cleanUp()
    }

    deinit {
        for lease in held.withLock({ $0.values }) { FileTokenCacheFiles.unlock(lease.descriptor) }
    }

    /// 500 ms: reads are files on a possibly loaded host (several processes starting together on 2 cores), not the
    /// 50 ms meant for a database round trip.
    public var minimumReadTimeout: Duration { .milliseconds(500) }

    func entryPath(_ name: String) -> String { folder + "/" + name + ".entry" }
    func lockPath(_ name: String) -> String { folder + "/" + name + ".lock" }

    func record(_ name: String) -> (record: FileTokenCacheRecord?, exists: Bool) {
        guard let bytes = FileTokenCacheFiles.read(entryPath(name)) else { return (nil, false) }
        return (FileTokenCacheRecord.open(bytes, name: name, keys: keys), true)
    }

    func write(_ record: FileTokenCacheRecord, name: String) throws {
        try SecretFile.write(try record.sealed(name: name, keys: keys), to: entryPath(name))
    }

    /// The entry of `key` under the first key; an entry sealed under an earlier key still serves its token.
    public func read(_ key: String) async throws -> SharedTokenCacheEntry? {
        let now = now()
        var current: SharedTokenCacheEntry?
        var previous: (token: AccessToken, refreshAt: Date?)?
        for (index, name) in keys.entryNames(key).enumerated() {
            let (record, exists) = record(name)
            guard exists else { continue }
            let token = record?.payload?.accessToken
            let refreshAt = record?.refreshAt.map { Date(timeIntervalSince1970: $0) }
            guard index == 0 else {
                if let token, token.expiresOn > (previous?.token.expiresOn ?? .distantPast) {
                    previous = (token, refreshAt)
                }
                continue
            }
            var entry = SharedTokenCacheEntry(token: token, refreshAt: refreshAt, unreadable: record == nil)
            if let until = record?.leaseUntil, until > now.timeIntervalSince1970,
                FileTokenCacheFiles.isHeld(lockPath(name))
            {
                entry.leaseRemaining = .seconds(until - now.timeIntervalSince1970)
            }
            entry.failure = record?.failure(at: now)
            current = entry
        }
        return .serving(current, orEarlier: previous)
    }

    /// Takes the key's lock without waiting; won only when no shared failure is in force and the entry holds no
    /// fresh token (or an unreadable one, `replacingUnreadable`). The lock is held until publish or release.
    public func claim(
        _ key: String,
        leaseDuration: Duration,
        staleBefore: Date,
        replacingUnreadable: Bool
    ) async throws -> SharedTokenCacheLease? {
        let name = keys.entryName(key)
        let now = now()
        releaseExpiredLeases(of: name, at: now)
        guard let descriptor = try lockCurrent(name, takingOverBefore: now) else { return nil }
        do {
            let (record, _) = record(name)
            let token = record?.payload?.accessToken
            let refreshDue = record?.refreshAt.map { $0 <= now.timeIntervalSince1970 } ?? true
            guard record?.failure(at: now) == nil,
                replacingUnreadable || token == nil || token!.expiresOn <= staleBefore || refreshDue
            else {
                FileTokenCacheFiles.unlock(descriptor)
                return nil
            }
            let generation = max((record?.generation ?? 0) + 1, Int64(now.timeIntervalSince1970 * 1_000_000))
            var next = record ?? FileTokenCacheRecord(generation: generation)
            next.generation = generation
            next.leaseUntil = now.timeIntervalSince1970 + leaseDuration.seconds
            try write(next, name: name)
            // A caller that gave up meanwhile (its timeout, a cancellation) never publishes: do not keep its lock.
            guard !Task.isCancelled else {
                FileTokenCacheFiles.unlock(descriptor)
                return nil
            }
            let until = now.addingTimeInterval(leaseDuration.seconds)
            held.withLock { $0[HeldLease(name: name, generation: generation)] = (descriptor, until) }
            return SharedTokenCacheLease(generation: generation)
        } catch {
            FileTokenCacheFiles.unlock(descriptor)
            throw error
        }
    }

    /// Lets go of this process's leases on `name` that ended without a publish or release (a caller that timed out).
    func releaseExpiredLeases(of name: String, at now: Date) {
        let expired = held.withLock { held -> [Int32] in
            let ended = held.filter { $0.key.name == name && $0.value.until <= now }
            for lease in ended.keys { held[lease] = nil }
            return ended.map(\.value.descriptor)
        }
        for descriptor in expired { FileTokenCacheFiles.unlock(descriptor) }
    }

    /// Writes the sealed token under `lease` unless the entry holds a token that lives longer (then `false`, the
    /// lease kept for ``release(_:lease:failure:)``), ends the lease and any shared failure.
    public func publish(
        _ token: AccessToken,
        refreshAt: Date,
        for key: String,
        lease: SharedTokenCacheLease,
        replacingUnreadable: Bool
    ) async throws -> Bool {
        let name = keys.entryName(key)
        let heldLease = HeldLease(name: name, generation: lease.generation)
        // Taken out of the map for the whole publish: a concurrent release (after a publish timeout) finds nothing
        // and never closes the descriptor twice; put back only when the lease stays (nothing written).
        guard let taken = held.withLock({ $0.removeValue(forKey: heldLease) }) else { return false }
        let (record, _) = record(name)
        let lostLease = record.map { $0.generation != lease.generation } ?? false
        let outlived =
            !replacingUnreadable && (record?.payload?.accessToken.map { $0.expiresOn > token.expiresOn } ?? false)
        if lostLease || outlived {
            if lostLease {
                FileTokenCacheFiles.unlock(taken.descriptor)  // taken over: the lock file is not the key's any more
            } else {
                held.withLock { $0[heldLease] = taken }
            }
            return false
        }
        var next = FileTokenCacheRecord(generation: lease.generation)
        next.payload = TokenCachePayload(token)
        next.refreshAt = refreshAt.timeIntervalSince1970
        do {
            try write(next, name: name)
        } catch {
            FileTokenCacheFiles.unlock(taken.descriptor)
            throw error
        }
        FileTokenCacheFiles.unlock(taken.descriptor)
        cleanUpIfDue()
        return true
    }

    /// Ends `lease`, sharing `failure` until it ends.
    public func release(_ key: String, lease: SharedTokenCacheLease, failure: SharedTokenCacheFailure?) async throws {
        let name = keys.entryName(key)
        let heldLease = HeldLease(name: name, generation: lease.generation)
        guard let taken = held.withLock({ $0.removeValue(forKey: heldLease) }) else { return }
        defer { FileTokenCacheFiles.unlock(taken.descriptor) }
        var next = record(name).record ?? FileTokenCacheRecord(generation: lease.generation)
        guard next.generation == lease.generation else { return }  // taken over: not this lease's entry any more
        next.leaseUntil = nil
        if let failure {
            next.failure = .init(
                until: now().timeIntervalSince1970 + failure.remaining.seconds,
                code: failure.code,
                message: String(failure.message.prefix(1000)),
                httpStatus: failure.httpStatus,
                aadstsCode: failure.aadstsCode
            )
        }
        try write(next, name: name)
    }

    /// Polls the entry file every 50 ms: returns when it was replaced, when the lease holder let go, or at `timeout`.
    public func waitForChange(of key: String, timeout: Duration) async throws {
        let name = keys.entryName(key)
        let before = FileTokenCacheFiles.stamp(entryPath(name))
        let wasHeld = FileTokenCacheFiles.isHeld(lockPath(name))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
            if FileTokenCacheFiles.stamp(entryPath(name)) != before { return }
            if wasHeld, !FileTokenCacheFiles.isHeld(lockPath(name)) { return }
        }
    }

    /// The key's lock file, locked — `nil` when another descriptor holds it. A lock file removed by a clean-up between
    /// the open and the lock is opened again, so two holders never lock two different files of one name. With
    /// `takingOverBefore`, a lease whose end (in the entry) passed more than 5 s before that time — its holder is hung
    /// or stopped, not dead — is taken over: its lock file is replaced by a new one (the old holder's publish then
    /// finds another generation and writes nothing).
    func lockCurrent(_ name: String, takingOverBefore now: Date? = nil) throws -> Int32? {
        for _ in 0..<3 {
            guard let descriptor = FileTokenCacheFiles.openLock(lockPath(name)) else {
                throw IdentityError.invalidConfiguration(
                    "the token cache lock file \(lockPath(name)) cannot be opened: check the folder is yours (chmod 700)"
                )
            }
            guard FileTokenCacheFiles.tryLock(descriptor) else {
                close(descriptor)
                guard let now, let until = record(name).record?.leaseUntil,
                    until + 5 < now.timeIntervalSince1970
                else { return nil }
                logger.notice(
                    "a token cache lease outlived its end by more than 5 s: taking it over",
                    metadata: ["file": "\(lockPath(name))"]
                )
                unlink(lockPath(name))
                continue
            }
            var opened = stat()
            var named = stat()
            if fstat(descriptor, &opened) == 0, lstat(lockPath(name), &named) == 0, opened.st_ino == named.st_ino {
                return descriptor
            }
            FileTokenCacheFiles.unlock(descriptor)
        }
        return nil
    }
}
