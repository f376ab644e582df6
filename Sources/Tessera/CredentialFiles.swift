import Foundation
import Synchronization
import TesseraJOSE

/// What identifies a file's content without reading it: inode, size and modification time.
struct FileStamp: Equatable, Sendable {
    let inode: UInt64
    let size: UInt64
    let modified: Double

    /// Of the file `path` finally points to: Kubernetes secret and token volumes swap a `..data` symlink on rotation.
    init?(path: String) {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) else { return nil }
        inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
        size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    }
}

/// A value loaded from files and loaded again when any of them changes on disk (checked on each use: one `stat`).
/// If a changed file does not load (a half-written file), the last good value is kept until it does.
final class FileBackedValue<Value: Sendable>: Sendable {
    let paths: [String]
    private let load: @Sendable () throws -> Value
    private let state: Mutex<(stamps: [FileStamp?], value: Value)>

    init(paths: [String], load: @escaping @Sendable () throws -> Value) throws {
        self.paths = paths
        self.load = load
        state = Mutex((paths.map(FileStamp.init(path:)), try load()))
    }

    var value: Value {
        let stamps = paths.map(FileStamp.init(path:))
        let (changed, current) = state.withLock { ($0.stamps != stamps, $0.value) }
        guard changed, let reloaded = try? load() else { return current }
        state.withLock { $0 = (stamps, reloaded) }
        return reloaded
    }
}

extension ClientCertificateCredential {
    /// A certificate credential read from a file (PEM, combined PEM or PFX) and read again whenever the file changes:
    /// a renewed certificate dropped in place (cert-manager, Key Vault sync) is used without a restart.
    public static func file(
        path: String, keyPath: String? = nil, password: String? = nil, options: AssertionOptions = AssertionOptions()
    ) throws(IdentityError) -> some ClientCredential {
        _ = try load(path: path, keyPath: keyPath, password: password, options: options)  // fail now, with the reason
        do {
            let value = try FileBackedValue(paths: [path] + (keyPath.map { [$0] } ?? [])) {
                try ClientCertificateCredential.load(path: path, keyPath: keyPath, password: password, options: options)
            }
            return ReloadingCredential(identity: "certificate-file:" + secretFingerprint(path), value: value)
        } catch {
            throw IdentityError(.credentialUnavailable, "the certificate file '\(path)' could not be loaded")
        }
    }
}

extension ClientSecretCredential {
    /// A secret read from a file (a Kubernetes secret volume, a vault agent's output; one trailing newline ignored) and
    /// read again whenever the file changes.
    public static func file(path: String, method: Method? = nil) throws(IdentityError) -> some ClientCredential {
        @Sendable func read() throws -> ClientSecretCredential {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw IdentityError(.credentialUnavailable, "the secret file '\(path)' cannot be read: check the path and permissions")
            }
            var secret = String(decoding: data, as: UTF8.self)
            while secret.hasSuffix("\n") || secret.hasSuffix("\r") { secret.removeLast() }
            guard !secret.isEmpty else { throw IdentityError(.credentialUnavailable, "the secret file '\(path)' is empty") }
            return ClientSecretCredential(secret: secret, method: method)
        }
        do {
            return ReloadingCredential(identity: "secret-file:" + secretFingerprint(path), value: try FileBackedValue(paths: [path], load: read))
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(.credentialUnavailable, "the secret file '\(path)' could not be read")
        }
    }
}

/// A credential whose underlying credential is reloaded from files.
struct ReloadingCredential<Wrapped: ClientCredential>: ClientCredential, CustomStringConvertible {
    let identity: String
    let value: FileBackedValue<Wrapped>

    func authentication(for context: CredentialContext) async throws -> ClientAuthentication {
        try await value.value.authentication(for: context)
    }

    var description: String { "ReloadingCredential(\(value.paths.joined(separator: ", ")))" }
}
