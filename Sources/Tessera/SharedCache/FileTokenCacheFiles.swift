import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Musl)
private let systemRead = Musl.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif

/// The system calls a ``FileTokenCache`` makes: entry files read without following symlinks, lock files created
/// 0600, `flock` leases (held by an open descriptor: the kernel lets go when the process dies, SIGKILL included).
enum FileTokenCacheFiles {
    /// An entry file's bytes (at most 1 MiB), or `nil` when there is none or it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        // Non-blocking open and a regular-file check: a FIFO or device planted in the folder cannot hang a thread.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while bytes.count <= 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
        return nil
    }

    /// A descriptor on the lock file at `path`, created 0600 when missing; never through a symlink.
    static func openLock(_ path: String) -> Int32? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o600)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Takes `descriptor`'s lock without waiting: `false` when another descriptor holds it (or a conflicting one).
    static func tryLock(_ descriptor: Int32, exclusive: Bool = true) -> Bool {
        while true {
            if flock(descriptor, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Lets go of `descriptor`'s lock and closes it.
    static func unlock(_ descriptor: Int32) {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Whether some process (this one included) holds the lease lock at `path` now.
    static func isHeld(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard tryLock(descriptor, exclusive: false) else { return true }
        _ = flock(descriptor, LOCK_UN)
        return false
    }

    /// What changes when an entry file is replaced: its inode, size and modification time; `nil` when missing.
    static func stamp(_ path: String) -> [Int]? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        #if canImport(Darwin)
        let modified = status.st_mtimespec
        #else
        let modified = status.st_mtim
        #endif
        return [Int(status.st_ino), Int(status.st_size), Int(modified.tv_sec), Int(modified.tv_nsec)]
    }

    /// What is wrong with the file or folder at `path` as a private one of this user — a symlink, another owner, a
    /// mode open to group or others — with the fix; `nil` when nothing is (or it does not exist).
    static func problem(_ path: String, folder: Bool) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        let kind = status.st_mode & S_IFMT
        guard kind == (folder ? S_IFDIR : S_IFREG) else {
            return "\(path) is not a \(folder ? "folder" : "regular file") (a symlink?): remove it"
        }
        guard status.st_uid == geteuid() else {
            return "\(path) is owned by user \(status.st_uid), not this user (\(geteuid())): "
                + "chown \(geteuid()) \(path), or use a folder of your own"
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            return
                "\(path) has mode \(String(mode, radix: 8)), open to group or others: chmod \(folder ? "700" : "600") \(path)"
        }
        return nil
    }
}
