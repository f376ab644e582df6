import Foundation

/// A throwaway PostgreSQL 15 (Debian's binaries) on a free loopback port, in a folder owned by `postgres` (initdb and
/// postgres refuse to run as root), with `tessera` as a trusted user and database. ``stop()`` and ``start()`` stop it
/// mid-run and bring it back on the same port and data.
public final class PostgresServer: @unchecked Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    public let port: Int
    public let folder: String
    private var pid: pid_t?

    /// Whether PostgreSQL 15 is installed (Scripts/test.sh installs it).
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: binaries + "/postgres") }

    /// The cache URL of the `tessera` database.
    public var url: String { "postgres://tessera@127.0.0.1:\(port)/tessera?sslmode=disable" }

    /// Creates the cluster and starts it.
    public init() throws {
        guard Self.isAvailable else {
            throw Peers.PeerError(
                "PostgreSQL 15 is not installed (\(Self.binaries)): Scripts/test.sh installs postgresql-15"
            )
        }
        port = try Peers.freePort()
        folder = NSTemporaryDirectory() + "tessera-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if getuid() == 0 { try Peers.run("/bin/chown", ["postgres:postgres", folder]) }
        try Self.asPostgres(
            Self.binaries + "/initdb",
            ["-D", folder + "/data", "-A", "trust", "--no-sync", "-U", "postgres"]
        )
        try start()
        // Servers a suite keeps for the whole test process end with it: a watchdog stops it and removes its folder.
        _ = try Peers.spawn(
            "/bin/sh",
            [
                "-c",
                "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; "
                    + "\(Self.runner) \(Self.runnerArguments.joined(separator: " ")) \(Self.binaries)/pg_ctl -D \(folder)/data stop -m immediate; "
                    + "kill $(cat \(folder)/pgbouncer-*.pid 2>/dev/null) 2>/dev/null; rm -rf \(folder) "
                    + "\(NSTemporaryDirectory())tessera-pg-watchdog-\(port).*",
            ],
            output: NSTemporaryDirectory() + "tessera-pg-watchdog-\(port).out",
            errors: NSTemporaryDirectory() + "tessera-pg-watchdog-\(port).err"
        )
        try Self.asPostgres(
            Self.binaries + "/psql",
            [
                "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-c", "CREATE ROLE tessera LOGIN", "-c",
                "CREATE DATABASE tessera OWNER tessera",
            ]
        )
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    public func start() throws {
        let pid = try Peers.spawn(
            Self.runner,
            Self.runnerArguments + [
                Self.binaries + "/postgres", "-D", folder + "/data", "-c",
                "listen_addresses=127.0.0.1", "-p", "\(port)", "-k", folder, "-c", "fsync=off", "-c",
                "max_connections=200",
            ],
            output: folder + "/postgres.out",
            errors: folder + "/postgres.err"
        )
        self.pid = pid
        for _ in 0..<200 {
            if (try? Peers.run(Self.binaries + "/pg_isready", ["-h", "127.0.0.1", "-p", "\(port)", "-q"])) != nil {
                return
            }
            usleep(50_000)
        }
        throw Peers.PeerError(
            "PostgreSQL did not start: \((try? String(contentsOfFile: folder + "/postgres.err", encoding: .utf8)) ?? "")"
        )
    }

    /// Stops the server (fast shutdown: open connections are closed) and waits until it has exited.
    public func stop() {
        guard let pid else { return }
        // runuser does not pass signals on: pg_ctl stops the server itself (fast: open connections are closed).
        _ = try? Self.asPostgres(Self.binaries + "/pg_ctl", ["-D", folder + "/data", "stop", "-m", "fast", "-w"])
        var status: Int32 = 0
        for _ in 0..<600 where waitpid(pid, &status, WNOHANG) == 0 { usleep(50_000) }
        if waitpid(pid, &status, WNOHANG) == 0 {  // pg_ctl failed: the postmaster, then its runuser
            if let text = try? String(contentsOfFile: folder + "/data/postmaster.pid", encoding: .utf8),
                let postmaster = text.split(separator: "\n").first.flatMap({ pid_t($0) })
            {
                kill(postmaster, SIGKILL)
            }
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
        }
        self.pid = nil
    }

    /// A new empty database owned by `tessera` (one per test) and its cache URL.
    public func newDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.prefix(8).lowercased()
        try sql("CREATE DATABASE \(name) OWNER tessera")
        return "postgres://tessera@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// A statement run as the superuser in the `tessera` database; its output (unaligned, tuples only).
    @discardableResult
    public func sql(_ statement: String, database: String = "tessera") throws -> String {
        try Self.asPostgres(
            Self.binaries + "/psql",
            ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-At", "-c", statement]
        )
    }

    /// Stops the server and removes its folder.
    public func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// As root, programs run as `postgres` (initdb, postgres and pgbouncer refuse root); otherwise as this user.
    static var runner: String { getuid() == 0 ? "/usr/sbin/runuser" : "/usr/bin/env" }
    static var runnerArguments: [String] { getuid() == 0 ? ["-u", "postgres", "--"] : [] }

    @discardableResult
    static func asPostgres(_ executable: String, _ arguments: [String]) throws -> String {
        try Peers.run(runner, runnerArguments + [executable] + arguments)
    }
}

/// PgBouncer 1.18 (Debian) in transaction pooling mode on a free loopback port, in front of a ``PostgresServer``.
public final class PgBouncer: @unchecked Sendable {
    public let port: Int
    private let pid: pid_t
    private let pidFile: String

    /// Whether pgbouncer is installed.
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/pgbouncer") }

    /// A cache URL (of ``PostgresServer/newDatabase()``) through PgBouncer instead.
    public func url(through direct: String) -> String {
        var components = URLComponents(string: direct)!
        components.port = port
        return components.string!
    }

    public init(server: PostgresServer) throws {
        guard Self.isAvailable else { throw Peers.PeerError("pgbouncer is not installed: Scripts/test.sh installs it") }
        port = try Peers.freePort()
        pidFile = server.folder + "/pgbouncer-\(port).pid"
        let ini = server.folder + "/pgbouncer-\(port).ini"
        try """
        [databases]
        * = host=127.0.0.1 port=\(server.port)
        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = \(port)
        unix_socket_dir =
        auth_type = trust
        auth_file = \(server.folder)/users.txt
        pool_mode = transaction
        max_client_conn = 500
        default_pool_size = 20
        logfile = \(server.folder)/pgbouncer-\(port).log
        pidfile = \(pidFile)
        """.write(toFile: ini, atomically: true, encoding: .utf8)
        try "\"tessera\" \"\"\n".write(toFile: server.folder + "/users.txt", atomically: true, encoding: .utf8)
        if getuid() == 0 { try Peers.run("/bin/chown", ["postgres:postgres", ini, server.folder + "/users.txt"]) }
        pid = try Peers.spawn(
            PostgresServer.runner,
            PostgresServer.runnerArguments + ["/usr/sbin/pgbouncer", ini],
            output: server.folder + "/pgbouncer.out",
            errors: server.folder + "/pgbouncer.err"
        )
        for _ in 0..<200 {
            if (try? Peers.run(PostgresServer.binaries + "/pg_isready", ["-h", "127.0.0.1", "-p", "\(port)", "-q"]))
                != nil
            {
                return
            }
            usleep(50_000)
        }
        throw Peers.PeerError(
            "pgbouncer did not start: \((try? String(contentsOfFile: server.folder + "/pgbouncer.log", encoding: .utf8)) ?? "")"
        )
    }

    public func stop() {
        // runuser does not pass signals on: signal pgbouncer itself (its pid file).
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let bouncer = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(bouncer, SIGTERM)  // immediate shutdown (SIGINT waits for clients)
        } else {
            kill(pid, SIGKILL)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}
