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
#else
#error("SecretFile needs POSIX write(2)")
#endif

/// The one way Tessera writes a file that holds a secret (a private key, a PFX, a directory with client secrets): a temporary file beside it created with mode 0600 by `open(O_CREAT | O_EXCL | O_NOFOLLOW)` — never
/// readable by anyone else, not even for a moment, and never through a planted symlink —, written, `fsync`ed and
/// renamed over the target. The mode is checked on the open file: when the umask takes the owner's read or write
/// bit away the write fails, naming the mode found, instead of leaving a file the owner cannot use. Never `chmod`s.
package enum SecretFile {
    /// Writes `bytes` to `path` (replacing it atomically; a symlink at `path` is replaced, never followed). With
    /// `replacing: false` the file must not exist yet: an existing file or symlink is an error and is left untouched
    /// (the new file is linked into place, which fails when anything is there).
    package static func write(
        _ bytes: some Collection<UInt8>,
        to path: String,
        replacing: Bool = true
    ) throws(SecretFileError) {
        let writer = try SecretFileWriter(path: path, replacing: replacing)
        try writer.append(bytes)
        try writer.commit()
    }
    /// Makes `path` a private folder: created with mode 0700 when missing (missing parents too); an existing one must
    /// be a real folder (not a symlink) owned by this user and not writable by group or others, and so must every
    /// folder above it (root's, or writable by others only with the sticky bit, as `/tmp`) — else another local user
    /// could have planted what Tessera then trusts.
    package static func prepareFolder(_ path: String) throws(SecretFileError) {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard !trimmed.isEmpty, !trimmed.split(separator: "/").contains("..") else {
            throw SecretFileError(path: path, "must be a plain path without '..'")
        }
        let absolute = trimmed.hasPrefix("/") ? trimmed : FileManager.default.currentDirectoryPath + "/" + trimmed
        let components = absolute.split(separator: "/").map(String.init)
        var current = ""
        for (index, component) in components.enumerated() {
            current += "/" + component
            let isTarget = index == components.count - 1
            if mkdir(current, 0o700) != 0, errno != EEXIST {
                throw SecretFileError(path: path, "cannot create '\(current)' (\(Self.reason()))")
            }
            var status = stat()
            guard lstat(current, &status) == 0 else {
                throw SecretFileError(path: path, "cannot look at '\(current)' (\(Self.reason()))")
            }
            let kind = status.st_mode & S_IFMT
            if !isTarget, kind == S_IFLNK {
                // A symlinked system folder above (/var/run → /run): trust it only when root owns the link.
                guard status.st_uid == 0 else {
                    throw SecretFileError(path: path, "'\(current)' above it is a symlink of user \(status.st_uid)")
                }
                continue
            }
            guard kind == S_IFDIR else {
                throw SecretFileError(
                    path: path,
                    "'\(current)' is not a folder (a symlink or a file was found): remove it, or choose another folder"
                )
            }
            let mode = status.st_mode & 0o7777
            if isTarget {
                guard status.st_uid == geteuid() else {
                    throw SecretFileError(
                        path: path,
                        "is owned by user \(status.st_uid), not by this user (\(geteuid())): choose a folder of your own"
                    )
                }
                guard mode & 0o022 == 0 else {
                    throw SecretFileError(
                        path: path,
                        "is writable by group or others (mode \(String(mode & 0o777, radix: 8))): another user may have "
                            + "planted files in it; remove it and let it be created again, or choose another folder"
                    )
                }
            } else {
                guard status.st_uid == 0 || status.st_uid == geteuid() else {
                    throw SecretFileError(
                        path: path,
                        "'\(current)' above it is owned by user \(status.st_uid): choose a folder under your own"
                    )
                }
                guard mode & 0o022 == 0 || mode & 0o1000 != 0 else {
                    throw SecretFileError(
                        path: path,
                        "'\(current)' above it is writable by group or others (mode \(String(mode & 0o777, radix: 8))) "
                            + "without the sticky bit: choose a folder under a private one"
                    )
                }
            }
        }
    }

    /// The folder and the file name of `path` (the folder is `.` for a bare name).
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    static func reason() -> String { String(cString: strerror(errno)) }
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

/// A secret file written in pieces (a job's output page by page, so memory stays bounded): the temporary file is
/// created as ``SecretFile/write(_:to:replacing:)`` creates it (0600, `O_CREAT|O_EXCL|O_NOFOLLOW`, mode checked),
/// ``append(_:)`` adds bytes, ``commit()`` flushes and renames (or links) it into place. A writer dropped without a
/// commit removes its temporary file: the target keeps its old contents.
package final class SecretFileWriter {
    let path: String
    let folder: String
    let temporary: String
    let replacing: Bool
    private var descriptor: Int32

    /// Creates the temporary file beside `path`.
    package init(path: String, replacing: Bool = true) throws(SecretFileError) {
        let (folder, name) = SecretFile.split(path)
        guard !name.isEmpty else { throw SecretFileError(path: path, "is not a file name") }
        self.path = path
        self.folder = folder
        self.replacing = replacing
        self.temporary = folder + "/." + name + ".tmp-" + UUID().uuidString.prefix(8)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SecretFileError(
                path: path,
                "cannot create a file in '\(folder)' (\(SecretFile.reason())): check the folder exists and is yours"
            )
        }
        self.descriptor = descriptor
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SecretFileError(path: path, "cannot check the new file's mode (\(SecretFile.reason()))")
        }
        let mode = status.st_mode & 0o777
        guard mode == 0o600 else {
            let reason =
                mode & ~0o600 != 0
                ? "this filesystem does not keep Unix file modes (a new file shows mode \(String(mode, radix: 8))): "
                    + "keep secrets on a Linux filesystem"
                : "a new file gets mode \(String(mode, radix: 8)), not 600, under this umask: run with a umask such as 077 or 022"
            throw SecretFileError(path: path, reason)
        }
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary)
        }
    }

    /// Appends `bytes` to the temporary file.
    package func append(_ bytes: some Collection<UInt8>) throws(SecretFileError) {
        guard descriptor >= 0 else { throw SecretFileError(path: path, "is already committed") }
        let data = Array(bytes)
        var offset = 0
        while offset < data.count {
            let written = data[offset...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw SecretFileError(path: path, "cannot write (\(SecretFile.reason()))") }
            offset += written
        }
    }

    /// Flushes the file and puts it in place: renamed over the target, or linked when it must not replace one.
    package func commit() throws(SecretFileError) {
        guard descriptor >= 0 else { throw SecretFileError(path: path, "is already committed") }
        guard fsync(descriptor) == 0 else { throw SecretFileError(path: path, "cannot flush (\(SecretFile.reason()))") }
        let closed = close(descriptor) == 0
        descriptor = -1
        guard closed else {
            unlink(temporary)
            throw SecretFileError(path: path, "cannot close (\(SecretFile.reason()))")
        }
        if replacing {
            guard rename(temporary, path) == 0 else {
                let reason = SecretFile.reason()
                unlink(temporary)
                throw SecretFileError(path: path, "cannot replace it (\(reason))")
            }
        } else {
            let linked = link(temporary, path) == 0
            let failure = errno
            let reason = SecretFile.reason()
            unlink(temporary)
            guard linked else {
                throw SecretFileError(
                    path: path,
                    failure == EEXIST ? "exists already: it is never replaced" : "cannot create it (\(reason))"
                )
            }
        }
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}
