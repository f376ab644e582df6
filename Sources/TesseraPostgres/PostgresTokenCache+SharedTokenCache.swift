import Foundation
import NIOCore
import PostgresNIO
import Tessera
import TesseraJOSE

extension PostgresTokenCache {
    /// The row of `key`: its token decrypted (or marked unreadable), refresh point, live lease and shared failure, the
    /// last two measured on the cache's clock.
    public func read(_ key: String) async throws -> SharedTokenCacheEntry? {
        try await schemaReady.value()
        let names = configuration.keys.entryNames(key)
        var binds = PostgresBindings()
        binds.append(names)
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT cache_key, key_version, ciphertext, refresh_at,
                      CASE WHEN lease_until > \(now) THEN EXTRACT(EPOCH FROM (lease_until - \(now)))::float8 END,
                      CASE WHEN throttle_until > \(now) THEN EXTRACT(EPOCH FROM (throttle_until - \(now)))::float8 END,
                      throttle_code, throttle_message, throttle_status, throttle_aadsts
                    FROM tessera_token_cache WHERE cache_key = ANY($1)
                    """,
                binds: binds
            ),
            logger: logger
        )
        typealias Row = (String, String?, ByteBuffer?, Date?, Double?, Double?, String?, String?, Int32?, Int32?)
        var current: SharedTokenCacheEntry?
        var previous: (token: AccessToken, refreshAt: Date?)?
        for try await row in rows.decode(Row.self) {
            var token: AccessToken?
            var unreadable = false
            if let version = row.1, var sealed = row.2 {
                let bytes = sealed.readBytes(length: sealed.readableBytes) ?? []
                token = configuration.keys.open(bytes, version: version, name: row.0).flatMap(TokenCachePayload.decode)
                unreadable = token == nil
            }
            guard row.0 == names[0] else {
                // A row sealed under an earlier key (a rotation in progress): its token serves, its lease does not.
                if let token, token.expiresOn > (previous?.token.expiresOn ?? .distantPast) {
                    previous = (token, row.3)
                }
                continue
            }
            var entry = SharedTokenCacheEntry(
                token: token,
                refreshAt: row.3,
                unreadable: unreadable,
                leaseRemaining: row.4.map { .seconds($0) }
            )
            if let remaining = row.5, let code = row.6 {
                entry.failure = SharedTokenCacheFailure(
                    remaining: .seconds(remaining),
                    code: code,
                    message: row.7 ?? "",
                    httpStatus: row.8.map(Int.init),
                    aadstsCode: row.9.map(Int.init)
                )
            }
            current = entry
        }
        return .serving(current, orEarlier: previous)
    }

    /// One conditional upsert: the lease is won only when none is live, no shared failure is in force and the row
    /// holds no fresh token (or an unreadable one, `replacingUnreadable`).
    public func claim(
        _ key: String,
        leaseDuration: Duration,
        staleBefore: Date,
        replacingUnreadable: Bool
    ) async throws -> SharedTokenCacheLease? {
        try await schemaReady.value()
        var binds = Self.bindings(configuration.keys.entryName(key))
        binds.append(configuration.leaseOwner)
        binds.append(Double(leaseDuration.components.seconds) + Double(leaseDuration.components.attoseconds) / 1e18)
        binds.append(staleBefore)
        binds.append(replacingUnreadable)
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO tessera_token_cache AS t (cache_key, lease_owner, lease_until, lease_gen, updated_at)
                    VALUES ($1, $2, \(now) + make_interval(secs => $3), nextval('tessera_lease_generation'), \(now))
                    ON CONFLICT (cache_key) DO UPDATE SET lease_owner = EXCLUDED.lease_owner,
                      lease_until = EXCLUDED.lease_until, lease_gen = EXCLUDED.lease_gen, updated_at = EXCLUDED.updated_at
                    WHERE t.lease_until <= \(now)
                      AND (t.throttle_until IS NULL OR t.throttle_until <= \(now))
                      AND ($5 OR t.ciphertext IS NULL OR t.expires_at <= $4 OR t.refresh_at <= \(now))
                    RETURNING t.lease_gen
                    """,
                binds: binds
            ),
            logger: logger
        )
        for try await generation in rows.decode(Int64.self) { return SharedTokenCacheLease(generation: generation) }
        return nil
    }

    /// Writes the sealed token if the lease is still this generation and the row holds no longer-lived token, ends
    /// the lease and any shared failure, and notifies — one statement.
    public func publish(
        _ token: AccessToken,
        refreshAt: Date,
        for key: String,
        lease: SharedTokenCacheLease,
        replacingUnreadable: Bool
    ) async throws -> Bool {
        try await schemaReady.value()
        let name = configuration.keys.entryName(key)
        let sealed = try configuration.keys.seal(TokenCachePayload.encode(token), name: name)
        var binds = Self.bindings(name)
        binds.append(lease.generation)
        binds.append(sealed.version)
        binds.append(ByteBuffer(bytes: sealed.sealed))
        binds.append(token.expiresOn)
        binds.append(refreshAt)
        binds.append(replacingUnreadable)
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH updated AS (
                      UPDATE tessera_token_cache SET key_version = $3, ciphertext = $4, expires_at = $5, refresh_at = $6,
                        lease_until = '-infinity', lease_owner = NULL, throttle_until = NULL, throttle_code = NULL,
                        throttle_message = NULL, throttle_status = NULL, throttle_aadsts = NULL, updated_at = \(now)
                      WHERE cache_key = $1 AND lease_gen = $2
                        AND ($7 OR ciphertext IS NULL OR expires_at IS NULL OR expires_at <= $5)
                      RETURNING cache_key)
                    SELECT pg_notify('\(Self.channel)', cache_key) FROM updated
                    """,
                binds: binds
            ),
            logger: logger
        )
        var written = false
        for try await _ in rows { written = true }
        return written
    }

    /// Ends the lease of this generation, sharing `failure` until it ends, and notifies.
    public func release(_ key: String, lease: SharedTokenCacheLease, failure: SharedTokenCacheFailure?) async throws {
        try await schemaReady.value()
        var binds = Self.bindings(configuration.keys.entryName(key))
        binds.append(lease.generation)
        let seconds = failure.map {
            Double($0.remaining.components.seconds) + Double($0.remaining.components.attoseconds) / 1e18
        }
        binds.append(seconds)
        binds.append(failure?.code)
        binds.append(failure.map { String($0.message.prefix(1000)) })
        binds.append(failure?.httpStatus.map { Int32(clamping: $0) })
        binds.append(failure?.aadstsCode.map { Int32(clamping: $0) })
        try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH updated AS (
                      UPDATE tessera_token_cache SET lease_until = '-infinity', lease_owner = NULL,
                        throttle_until = CASE WHEN $3::float8 IS NULL THEN throttle_until
                          ELSE \(now) + make_interval(secs => $3::float8) END,
                        throttle_code = CASE WHEN $3::float8 IS NULL THEN throttle_code ELSE $4 END,
                        throttle_message = CASE WHEN $3::float8 IS NULL THEN throttle_message ELSE $5 END,
                        throttle_status = CASE WHEN $3::float8 IS NULL THEN throttle_status ELSE $6::int END,
                        throttle_aadsts = CASE WHEN $3::float8 IS NULL THEN throttle_aadsts ELSE $7::int END,
                        updated_at = \(now)
                      WHERE cache_key = $1 AND lease_gen = $2
                      RETURNING cache_key)
                    SELECT pg_notify('\(Self.channel)', cache_key) FROM updated
                    """,
                binds: binds
            ),
            logger: logger
        )
    }

    /// Returns on a notification for `key` (or a reconnect of the `LISTEN` connection), or after `timeout`.
    public func waitForChange(of key: String, timeout: Duration) async throws {
        guard listening.load(ordering: .acquiring) else {
            try await Task.sleep(for: timeout)
            return
        }
        let signal = signals.signal(for: configuration.keys.entryName(key))
        do {
            try await withDeadline(
                timeout,
                sleep: { try await Task.sleep(for: $0) },
                timedOut: { WaitTimedOut() },
                { try await signal.value() }
            )
        } catch is WaitTimedOut {
            return
        }
    }

    struct WaitTimedOut: Error {}

    static func bindings(_ name: String) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(name)
        return binds
    }
}
