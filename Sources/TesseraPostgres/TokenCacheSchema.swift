/// The cache's tables, created or migrated by ``PostgresTokenCache/run()`` in one transaction.
enum TokenCacheSchema {
    /// The schema version these statements produce.
    static let version = 1

    static let statements = [
        "CREATE TABLE IF NOT EXISTS tessera_schema_version (component text PRIMARY KEY, version int NOT NULL)",
        """
        CREATE UNLOGGED TABLE IF NOT EXISTS tessera_token_cache (
            cache_key text PRIMARY KEY,
            key_version text,
            ciphertext bytea,
            expires_at timestamptz,
            refresh_at timestamptz,
            lease_owner text,
            lease_until timestamptz NOT NULL DEFAULT '-infinity',
            lease_gen bigint NOT NULL DEFAULT 0,
            throttle_until timestamptz,
            throttle_code text,
            throttle_message text,
            throttle_status int,
            throttle_aadsts int,
            updated_at timestamptz
        )
        """,
        "CREATE TABLE IF NOT EXISTS tessera_clock (id int PRIMARY KEY, at timestamptz NOT NULL)",
        // Lease generations (fencing tokens) never repeat, even for a row deleted and claimed again.
        "CREATE SEQUENCE IF NOT EXISTS tessera_lease_generation",
        """
        INSERT INTO tessera_schema_version (component, version) VALUES ('token_cache', \(version))
        ON CONFLICT (component) DO UPDATE SET version = GREATEST(tessera_schema_version.version, EXCLUDED.version)
        """,
    ]
}
