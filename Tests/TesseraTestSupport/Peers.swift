import Foundation

/// Where the real peers are, and whether a suite that needs one may skip (locally) or must fail (under `CI=true`).
public enum Peers {
    public static var isCI: Bool {
        ProcessInfo.processInfo.environment["CI"].map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false
    }

    /// The package's root folder (this checkout).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// The folder holding the public test vectors (`vectors/wycheproof/…`): `TESSERA_SHARED` when set, else the
    /// checkout's own copy in `Tests` (`Tests/vectors/wycheproof`, Apache-2.0, its `SOURCE` says from where).
    public static var sharedDirectory: String {
        if let path = ProcessInfo.processInfo.environment["TESSERA_SHARED"], !path.isEmpty { return path }
        return packageRoot + "/Tests"
    }

    /// A public test-vector file under ``sharedDirectory``, when it is there.
    public static func vectorFile(_ relativePath: String) -> String? {
        let path = sharedDirectory + "/" + relativePath
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Whether a suite needing the vector file `relativePath` runs: always under CI (where absence is a failure),
    /// else when the file is there (`TESSERA_SHARED` names another folder holding `vectors/`).
    public static func vectorsAvailable(_ relativePath: String) -> Bool { isCI || vectorFile(relativePath) != nil }

    public static func which(_ command: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories: [String] = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for directory in directories {
            let path = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Whether a suite needing `command` runs: always under CI (where absence is a failure), else when installed.
    public static func available(_ command: String) -> Bool { isCI || which(command) != nil }

    /// A free TCP port on 127.0.0.1 (bound, then released), outside the ephemeral range.
    public static func freePort() throws -> Int {
        let output = try run(
            "/usr/bin/env",
            [
                "python3", "-c",
                // Below Linux's ephemeral range (32768–60999), so no socket bound to port 0 meanwhile (an emulator
                // started after this) is handed the same port.
                "import random,socket\nfor _ in range(200):\n p=random.randint(20000,32000)\n s=socket.socket()\n"
                    + " try:\n  s.bind(('127.0.0.1',p)); print(p); break\n except OSError: pass\n finally: s.close()",
            ]
        )
        guard let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw PeerError("no free port: \(output)")
        }
        return port
    }

    /// A port on 127.0.0.1 held bound but not listening until `release` is called: connections to it are refused at
    /// once, and no other test can take it meanwhile (unlike a port from ``freePort()``).
    public static func reservedPort() throws -> (port: Int, release: @Sendable () -> Void) {
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { throw PeerError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw PeerError("bind: errno \(errno)")
        }
        return (Int(UInt16(bigEndian: address.sin_port)), { close(fd) })
    }

    public struct PeerError: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// ``run(_:_:environment:)`` on a thread outside Swift's cooperative pool: waiting there would starve in-process
    /// test servers of threads (2 cores, 2 cooperative threads).
    public static func runAsync(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment) })
            }
        }
    }

    /// Runs a program to completion and returns its standard output; throws with its standard error on failure.
    /// Output goes to files, not pipes: a daemon the program starts in the background would inherit a pipe and keep
    /// it open, and reading to its end would never return.
    @discardableResult
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) throws -> String {
        let base = NSTemporaryDirectory() + "tessera-run-" + UUID().uuidString.prefix(8)
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let pid = try Peers.spawn(
            executable,
            arguments,
            environment: environment,
            output: base + ".out",
            errors: base + ".err"
        )
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        guard exitCode == 0 else {
            let errors = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
            throw PeerError(
                "\(executable) \(arguments.joined(separator: " ")) exited \(exitCode): \(errors.suffix(2000))"
            )
        }
        return output
    }
}

extension Peers {
    /// Starts a program in the background (output to files, stdin from /dev/null) and returns its process ID.
    /// posix_spawn + waitpid: Foundation's Process.waitUntilExit was seen to hang here once the child had exited while
    /// a grandchild (a daemon) lived on.
    public static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        output: String,
        errors: String
    ) throws -> pid_t {
        // Never through FileManager.createFile on an existing path: it replaces the file (a device such as
        // /dev/null included) by renaming a new one over it.
        for path in [output, errors] where !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_TRUNC, 0o600)
        let environmentStrings = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environmentStrings.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // The child starts with no signal blocked and default handlers (the spawning thread may block SIGTERM or
        // SIGINT, and a child would inherit that mask: a server that then ignores its stop signal).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw PeerError("cannot start \(executable): errno \(spawned)") }
        return pid
    }

    /// Waits (polling, off no thread) for a spawned process to exit; its exit status, or nil when `timeout` passes.
    /// A process killed by a signal reports 128 + the signal.
    public static func waitForExit(_ pid: pid_t, timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let signal = status & 0x7f
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal
            }
            if reaped < 0 { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Stops a background process and reaps it.
    public static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}

/// A real Glewlwyd 2.7 (Debian) on a free loopback port, set up by `Scripts/interop/glewlwyd.sh` with a
/// secret client (`daemon-secret`) and a private_key_jwt client (`daemon-cert`) trusting `clientPublicKeyPEM`.
public struct Glewlwyd: Sendable {
    public let base: String
    public let issuer: String
    public let directory: String
    let pid: Int32

    public static let secretClientID = "daemon-secret"
    public static let secret = "s3cr3t-value"
    public static let certificateClientID = "daemon-cert"

    public static func start(clientPublicKeyPath: String) async throws -> Glewlwyd {
        guard Peers.which("glewlwyd") != nil else {
            throw Peers.PeerError("glewlwyd is not installed: run Scripts/test.sh (apt-get install glewlwyd)")
        }
        let script = Peers.packageRoot + "/Scripts/interop/glewlwyd.sh"
        guard FileManager.default.fileExists(atPath: script) else { throw Peers.PeerError("missing \(script)") }
        let directory = NSTemporaryDirectory() + "tessera-glewlwyd-" + UUID().uuidString.prefix(8)
        let port = try Peers.freePort()
        let output = try await Peers.runAsync(
            "/bin/bash",
            [script],
            environment: ["STATE": directory, "PORT": "\(port)", "CLIENT_PUBKEY": clientPublicKeyPath]
        )
        var values: [String: String] = [:]
        for pair in (output.split(separator: "\n").last ?? "").split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let base = values["GLEWLWYD_BASE"], let issuer = values["GLEWLWYD_ISSUER"],
            let pid = values["GLEWLWYD_PID"].flatMap(Int32.init)
        else {
            throw Peers.PeerError("glewlwyd.sh printed no settings: \(output.suffix(500))")
        }
        return Glewlwyd(base: base, issuer: issuer, directory: directory, pid: pid)
    }

    public func stop() {
        kill(pid, SIGTERM)
    }
}
