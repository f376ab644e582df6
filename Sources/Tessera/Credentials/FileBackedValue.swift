import Synchronization

/// A value loaded from files and loaded again when any of them changes on disk (checked on each use: one `stat` per
/// file, of the file a symlink finally points to). Secret, certificate and federated-token files all read through it.
final class FileBackedValue<Value: Sendable>: Sendable {
    /// What a changed file that does not load (half-written, removed, unreadable) means.
    enum ReloadFailure: Sendable {
        /// Keep the last good value until the files load again: a rotation in progress never breaks a running daemon.
        case keepLastGood
        /// Throw the load's error: a federated token that cannot be read must not be replaced by a stale one.
        case fail
    }

    let paths: [String]
    private let onReloadFailure: ReloadFailure
    private let load: @Sendable () throws -> Value
    private let state: Mutex<(stamps: [FileStamp?], value: Value)?>

    /// Files at `paths`, read by `load` on first use.
    init(paths: [String], onReloadFailure: ReloadFailure, load: @escaping @Sendable () throws -> Value) {
        self.paths = paths
        self.onReloadFailure = onReloadFailure
        self.load = load
        self.state = Mutex(nil)
    }

    /// Files at `paths`, read by `load` now (its error is thrown as is). The files' stamps are taken before they are
    /// read, so a file replaced meanwhile is read again on first use.
    static func loaded(
        paths: [String],
        onReloadFailure: ReloadFailure,
        load: @escaping @Sendable () throws -> Value
    ) throws -> FileBackedValue {
        let value = FileBackedValue(paths: paths, onReloadFailure: onReloadFailure, load: load)
        let stamps = paths.map(FileStamp.init(path:))
        let initial = try load()
        value.state.withLock { $0 = (stamps, initial) }
        return value
    }

    /// The value for the files as they are now: cached while no file changed, else loaded again. A file that is gone
    /// or cannot be looked at is tried again on every use: with ``ReloadFailure/keepLastGood`` the last good value
    /// serves meanwhile, with ``ReloadFailure/fail`` its error is thrown.
    func current() throws -> Value {
        let stamps = paths.map(FileStamp.init(path:))
        let last = state.withLock { $0 }
        if let last, last.stamps == stamps, !stamps.contains(nil) {
            return last.value
        }
        do {
            let value = try load()
            state.withLock { $0 = (stamps, value) }
            return value
        } catch {
            if onReloadFailure == .keepLastGood, let last { return last.value }
            throw error
        }
    }
}
