import Foundation
import Tessera
import TesseraJOSE
import TesseraTestSupport
import Testing

/// `FileTokenCache`: entries sealed per key and name, leases as `flock`s, private files only, expired entries removed.
/// Each instance below stands for one process (its own descriptors, so its own locks).
@Suite("FileTokenCache: one host's encrypted second level")
struct FileTokenCacheTests {
    static let keyLine = TokenCacheKeys.newKeyLine()
    static let keys = try! TokenCacheKeys(text: keyLine, source: "test")

    /// A new private folder, removed after `body`.
    func withFolder<R>(_ body: (String) async throws -> R) async throws -> R {
        let folder = NSTemporaryDirectory() + "tessera-file-cache-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return try await body(folder)
    }

    func token(_ name: String, lifetime: TimeInterval = 3600) -> AccessToken {
        AccessToken(
            token: name,
            expiresOn: Date(timeIntervalSinceNow: lifetime),
            lifetime: Int64(lifetime),
            tenant: "contoso",
            scopes: ["api://reports/.default"]
        )
    }

    /// Claims `key` in `cache` and publishes `token` under the lease.
    func store(_ token: AccessToken, key: String, in cache: FileTokenCache) async throws {
        let lease = try #require(
            try await cache.claim(key, leaseDuration: .seconds(10), staleBefore: Date(), replacingUnreadable: true)
        )
        #expect(
            try await cache.publish(
                token,
                refreshAt: Date(timeIntervalSinceNow: 1800),
                for: key,
                lease: lease,
                replacingUnreadable: true
            )
        )
    }

    func mode(_ path: String) throws -> Int {
        ((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1)
            & 0o777
    }

    @Test("a token one process publishes is read by another; the folder is 0700, the files 0600, no key in them")
    func shared() async throws {
        try await withFolder { folder in
            let writer = try FileTokenCache(folder: folder, keys: Self.keys)
            try await store(token("canary-token-1"), key: "k", in: writer)
            let reader = try FileTokenCache(folder: folder, keys: Self.keys)
            let entry = try #require(try await reader.read("k"))
            #expect(entry.token?.token == "canary-token-1")
            #expect(entry.token?.source == .sharedCache)
            #expect(entry.leaseRemaining == nil && entry.failure == nil && !entry.unreadable)
            #expect(try mode(folder) == 0o700)
            for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
                #expect(try mode(folder + "/" + file) == 0o600, "\(file)")
                #expect(!file.contains("k."), "names are keyed hashes")
                let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
                #expect(!String(decoding: bytes, as: UTF8.self).contains("canary-token"), "\(file) is sealed")
            }
        }
    }

    struct MissCase: Sendable, CustomTestStringConvertible {
        let name: String
        let spoil: @Sendable (_ folder: String, _ entry: String, _ other: String) throws -> Void
        let readerKeys: TokenCacheKeys
        var testDescription: String { name }
    }

    static let missCases: [MissCase] = [
        MissCase(
            name: "a tampered byte",
            spoil: { _, entry, _ in
                var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: entry)))
                bytes[bytes.count - 5] ^= 0x01
                try Data(bytes).write(to: URL(fileURLWithPath: entry))
            },
            readerKeys: keys
        ),
        MissCase(
            name: "an entry swapped in from another key's name",
            spoil: { _, entry, other in
                try FileManager.default.removeItem(atPath: entry)
                try FileManager.default.copyItem(atPath: other, toPath: entry)
            },
            readerKeys: keys
        ),
        MissCase(
            name: "a truncated file",
            spoil: { _, entry, _ in
                let bytes = try Data(contentsOf: URL(fileURLWithPath: entry))
                try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: entry))
            },
            readerKeys: keys
        ),
    ]

    @Test("an entry no key opens is a clean miss, replaced by the next claim", arguments: missCases)
    func cleanMiss(_ testCase: MissCase) async throws {
        try await withFolder { folder in
            let writer = try FileTokenCache(folder: folder, keys: Self.keys)
            try await store(token("first"), key: "k", in: writer)
            try await store(token("other"), key: "other-key", in: writer)
            let entryFile = { (key: String) in
                folder + "/" + Self.keys.entryName(key) + ".entry"
            }
            try testCase.spoil(folder, entryFile("k"), entryFile("other-key"))
            let reader = try FileTokenCache(folder: folder, keys: testCase.readerKeys)
            let entry = try await reader.read("k")
            #expect(entry?.token == nil)
            #expect(entry?.unreadable == true)
            try await store(token("second"), key: "k", in: reader)
            #expect(try await reader.read("k")?.token?.token == "second")
        }
    }

    @Test("a folder holding entries sealed under another key is refused (one warning, no file cache), naming the fix")
    func otherKey() async throws {
        try await withFolder { folder in
            try await store(token("old-key-token"), key: "k", in: try FileTokenCache(folder: folder, keys: Self.keys))
            let newLine = TokenCacheKeys.newKeyLine()
            #expect {
                _ = try FileTokenCache(folder: folder, keys: try TokenCacheKeys(text: newLine, source: "new"))
            } throws: { error in
                "\(error)".contains(folder) && "\(error)".contains("another key")
                    && "\(error)".contains(Self.keys.currentVersion)
            }
            // A rotation: the new key first, the old one kept after it — the folder opens, the old entry serves.
            let rotated = try TokenCacheKeys(text: newLine + "\n" + Self.keyLine, source: "rotated")
            let cache = try FileTokenCache(folder: folder, keys: rotated)
            #expect(try await cache.read("k")?.token?.token == "old-key-token")
        }
    }

    @Test("two keys claimed in the same microsecond (a fixed clock): each lease is its own, both publish")
    func sameGeneration() async throws {
        try await withFolder { folder in
            let instant = Date()
            let first = try FileTokenCache(folder: folder, keys: Self.keys, now: { instant })
            let other = try FileTokenCache(folder: folder, keys: Self.keys, now: { instant })
            let a = try #require(
                try await first.claim(
                    "a",
                    leaseDuration: .seconds(30),
                    staleBefore: instant,
                    replacingUnreadable: false
                )
            )
            let b = try #require(
                try await first.claim(
                    "b",
                    leaseDuration: .seconds(30),
                    staleBefore: instant,
                    replacingUnreadable: false
                )
            )
            #expect(a.generation == b.generation)
            #expect(
                try await first.publish(
                    token("A"),
                    refreshAt: instant.addingTimeInterval(1800),
                    for: "a",
                    lease: a,
                    replacingUnreadable: false
                )
            )
            #expect(
                try await other.claim(
                    "b",
                    leaseDuration: .seconds(30),
                    staleBefore: instant,
                    replacingUnreadable: false
                ) == nil,
                "b still held"
            )
            #expect(
                try await first.publish(
                    token("B"),
                    refreshAt: instant.addingTimeInterval(1800),
                    for: "b",
                    lease: b,
                    replacingUnreadable: false
                )
            )
            #expect(try await other.read("a")?.token?.token == "A")
            #expect(try await other.read("b")?.token?.token == "B")
        }
    }

    @Test("a lease held past its end by a live, stuck process is taken over; the stuck holder's publish writes nothing")
    func takeover() async throws {
        try await withFolder { folder in
            let start = Date()
            let stuck = try FileTokenCache(folder: folder, keys: Self.keys, now: { start })
            let lease = try #require(
                try await stuck.claim("k", leaseDuration: .seconds(10), staleBefore: start, replacingUnreadable: false)
            )
            let soon = try FileTokenCache(folder: folder, keys: Self.keys, now: { start.addingTimeInterval(12) })
            #expect(
                try await soon.claim("k", leaseDuration: .seconds(10), staleBefore: start, replacingUnreadable: false)
                    == nil,
                "within 5 s of its end"
            )
            let later = try FileTokenCache(folder: folder, keys: Self.keys, now: { start.addingTimeInterval(20) })
            let taken = try #require(
                try await later.claim("k", leaseDuration: .seconds(10), staleBefore: start, replacingUnreadable: false)
            )
            #expect(taken.generation > lease.generation)
            #expect(
                try await !stuck.publish(
                    token("stale"),
                    refreshAt: start.addingTimeInterval(1800),
                    for: "k",
                    lease: lease,
                    replacingUnreadable: false
                )
            )
            #expect(
                try await later.publish(
                    token("fresh"),
                    refreshAt: start.addingTimeInterval(1800),
                    for: "k",
                    lease: taken,
                    replacingUnreadable: false
                )
            )
            #expect(try await later.read("k")?.token?.token == "fresh")
        }
    }

    @Test("one process holds the lease (flock); another cannot claim, sees it, and reads the token once published")
    func lease() async throws {
        try await withFolder { folder in
            let first = try FileTokenCache(folder: folder, keys: Self.keys)
            let second = try FileTokenCache(folder: folder, keys: Self.keys)
            let lease = try #require(
                try await first.claim("k", leaseDuration: .seconds(30), staleBefore: Date(), replacingUnreadable: false)
            )
            #expect(
                try await second.claim(
                    "k",
                    leaseDuration: .seconds(30),
                    staleBefore: Date(),
                    replacingUnreadable: false
                ) == nil
            )
            let waiting = try #require(try await second.read("k"))
            #expect(waiting.token == nil)
            #expect((waiting.leaseRemaining ?? .zero) > .seconds(25))
            async let changed: Void = second.waitForChange(of: "k", timeout: .seconds(20))
            try await Task.sleep(for: .milliseconds(100))
            #expect(
                try await first.publish(
                    token("fresh"),
                    refreshAt: Date(timeIntervalSinceNow: 1800),
                    for: "k",
                    lease: lease,
                    replacingUnreadable: false
                )
            )
            let started = ContinuousClock.now
            try await changed
            #expect(ContinuousClock.now - started < .seconds(10), "woken by the publish, not the timeout")
            #expect(try await second.read("k")?.token?.token == "fresh")
            #expect(
                try await second.claim(
                    "k",
                    leaseDuration: .seconds(30),
                    staleBefore: Date(),
                    replacingUnreadable: false
                ) == nil,
                "fresh: nothing to claim"
            )
        }
    }

    @Test("a failure released with the lease is shared: read reports it and nobody claims while it is in force")
    func sharedFailure() async throws {
        try await withFolder { folder in
            let first = try FileTokenCache(folder: folder, keys: Self.keys)
            let second = try FileTokenCache(folder: folder, keys: Self.keys)
            let lease = try #require(
                try await first.claim("k", leaseDuration: .seconds(30), staleBefore: Date(), replacingUnreadable: false)
            )
            let failure = SharedTokenCacheFailure(
                remaining: .seconds(60),
                code: "throttled",
                message: "AADSTS50196 loop",
                httpStatus: 429
            )
            try await first.release("k", lease: lease, failure: failure)
            let entry = try #require(try await second.read("k"))
            #expect(entry.failure?.code == "throttled" && entry.failure?.httpStatus == 429)
            #expect(entry.leaseRemaining == nil)
            #expect(
                try await second.claim(
                    "k",
                    leaseDuration: .seconds(30),
                    staleBefore: Date(),
                    replacingUnreadable: false
                ) == nil
            )
        }
    }

    struct PermissionCase: Sendable, CustomTestStringConvertible {
        let name: String
        let spoil: @Sendable (_ folder: String) throws -> Void
        let fix: String
        var testDescription: String { name }
    }

    static let permissionCases: [PermissionCase] = [
        PermissionCase(name: "a folder open to others (0755)", spoil: { chmod($0, 0o755) }, fix: "chmod 700"),
        PermissionCase(
            name: "an entry readable by others (0644)",
            spoil: { folder in
                let entry = try #require(
                    try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasSuffix(".entry") }
                )
                chmod(folder + "/" + entry, 0o644)
            },
            fix: "chmod 600"
        ),
        PermissionCase(
            name: "a symlink in the folder",
            spoil: { folder in
                try FileManager.default.createSymbolicLink(
                    atPath: folder + "/planted.entry",
                    withDestinationPath: "/etc/hostname"
                )
            },
            fix: "remove it"
        ),
    ]

    @Test(
        "a folder or file that is not private to this user is refused, naming the path and the fix",
        arguments: permissionCases
    )
    func notPrivate(_ testCase: PermissionCase) async throws {
        try await withFolder { folder in
            try await store(token("t"), key: "k", in: try FileTokenCache(folder: folder, keys: Self.keys))
            try testCase.spoil(folder)
            do {
                _ = try FileTokenCache(folder: folder, keys: Self.keys)
                Issue.record("accepted")
            } catch let error as IdentityError {
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.contains(folder), "\(error)")
                #expect(error.message.contains(testCase.fix), "\(error)")
            }
        }
    }

    @Test("an entry owned by another user is refused with chown (needs root)", .enabled(if: geteuid() == 0))
    func foreignOwner() async throws {
        try await withFolder { folder in
            try await store(token("t"), key: "k", in: try FileTokenCache(folder: folder, keys: Self.keys))
            let entry = try #require(
                try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasSuffix(".entry") }
            )
            chown(folder + "/" + entry, 65534, 65534)
            #expect { _ = try FileTokenCache(folder: folder, keys: Self.keys) } throws: { error in
                "\(error)".contains("owned by user 65534") && "\(error)".contains("chown")
            }
        }
    }

    @Test("expired entries are removed when the cache opens; fresh ones stay")
    func cleanUp() async throws {
        try await withFolder { folder in
            let cache = try FileTokenCache(folder: folder, keys: Self.keys)
            try await store(token("old", lifetime: 60), key: "old", in: cache)
            try await store(token("fresh", lifetime: 4 * 3600), key: "fresh", in: cache)
            let later = Date(timeIntervalSinceNow: 2 * 3600)  // an hour past the short token's expiry, and the files' age
            let reopened = try FileTokenCache(folder: folder, keys: Self.keys, now: { later })
            #expect(try await reopened.read("old") == nil)
            #expect(try await reopened.read("fresh")?.token?.token == "fresh")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            #expect(files.count == 2, "the fresh entry and its lock: \(files)")
        }
    }

    @Test("two clients on one folder (two restarts of a daemon): one token request")
    func throughTheClient() async throws {
        try await withFolder { folder in
            try await TestTokenServer.daemon().run { server in
                for _ in 0..<2 {
                    let cache = try FileTokenCache(folder: folder, keys: Self.keys)
                    try await withClient(
                        server,
                        credential: ClientSecretCredential(secret: testSecret),
                        configure: { $0.sharedCache = cache }
                    ) { client in
                        _ = try await client.token(scope: "api://reports/.default")
                    }
                }
                #expect(server.tokenRequests.count == 1)
            }
        }
    }
}
