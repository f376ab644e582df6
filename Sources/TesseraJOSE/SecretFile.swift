import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Musl)
private let systemWrite = Musl.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// The one way Tessera writes a file that holds a secret (a private key, a PFX, a directory with client secrets, a
/// token cache): a temporary file beside it created with mode 0600 by `open(O_CREAT | O_EXCL | O_NOFOLLOW)` — never
/// readable by anyone else, not even for a moment, and never through a planted symlink —, written, `fsync`ed and
/// renamed over the target. The mode is checked on the open file: when the umask takes the owner's read or write
/// bit away the write fails, naming the mode found, instead of leaving a file the owner cannot use. Never `chmod`s.
package enum SecretFile {
    /// Writes `bytes` to `path` (replacing it atomically; a symlink at `path` is replaced, never followed).
    package static func write(_ bytes: some Collection<UInt8>, to path: String) throws(SecretFileError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-" + UUID().uuidString.prefix(8)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SecretFileError(
                path: path,
                "cannot create a file in '\(folder)' (\(Self.reason())): check the folder exists and is yours"
            )
        }
        var done = false
        defer {
            if !done {
                close(descriptor)
                unlink(temporary)
            }
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SecretFileError(path: path, "cannot check the new file's mode (\(Self.reason()))")
        }
        let mode = status.st_mode & 0o777
        guard mode == 0o600 else {
            throw SecretFileError(
                path: path,
                "a new file gets mode \(String(mode, radix: 8)), not 600, under this umask: run with a umask such as 077 or 022"
            )
        }
        let data = Array(bytes)
        var offset = 0
        while offset < data.count {
            let written = data[offset...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SecretFileError(path: path, "cannot write (\(Self.reason()))")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw SecretFileError(path: path, "cannot flush (\(Self.reason()))") }
        close(descriptor)
        done = true
        guard rename(temporary, path) == 0 else {
            let reason = Self.reason()
            unlink(temporary)
            throw SecretFileError(path: path, "cannot replace it (\(reason))")
        }
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// Makes `path` a private folder: created with mode 0700 when missing (its parents as usual); an existing one must
    /// be a real folder (not a symlink) owned by this user and not writable by group or others — else another local
    /// user could have planted what Tessera then trusts.
    package static func prepareFolder(_ path: String) throws(SecretFileError) {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw SecretFileError(path: path, "cannot create its parent folder '\(parent)'")
        }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw SecretFileError(path: path, "cannot create the folder (\(Self.reason()))")
        }
        var status = stat()
        guard lstat(path, &status) == 0 else {
            throw SecretFileError(path: path, "cannot look at the folder (\(Self.reason()))")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw SecretFileError(
                path: path,
                "is not a folder (a symlink or a file was found): remove it, or choose another folder"
            )
        }
        guard status.st_uid == getuid() else {
            throw SecretFileError(
                path: path,
                "is owned by user \(status.st_uid), not by this user (\(getuid())): choose a folder of your own, or `chown` it"
            )
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o022 == 0 else {
            throw SecretFileError(
                path: path,
                "is writable by group or others (mode \(String(mode, radix: 8))): `chmod 700` it, or choose another folder"
            )
        }
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}

/// A secret file or private folder that could not be written or trusted: names the path, what was found and the fix.
package struct SecretFileError: Error, CustomStringConvertible {
    /// The file or folder.
    package let path: String
    /// What went wrong and what to do.
    package let reason: String

    init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `'<path>': <reason>`.
    package var description: String { "'\(path)': \(reason)" }
}
