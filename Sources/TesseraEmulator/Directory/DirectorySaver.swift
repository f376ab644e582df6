import Foundation
import Logging
import Synchronization
import TesseraJOSE

/// Saves the directory to the state folder (`directory.json`) after each change the admin API or the Graph-like API
/// makes: through ``SecretFile`` (0600 from the start, written aside and renamed into place), one save at a time, so
/// that an older snapshot never lands after a newer one.
final class DirectorySaver: Sendable {
    private let directory: Directory
    private let path: String?
    private let logger: Logger
    /// Saves asked for (each after its change was made).
    private let requested = Atomic<Int>(0)
    /// Held while a snapshot is taken and written: the last request the written snapshot covers.
    private let saving = Mutex<Int>(0)

    /// Saves `directory` to `path`; `nil` saves nothing (``Emulator/Options/persistDirectory`` off).
    init(directory: Directory, path: String?, logger: Logger) {
        self.directory = directory
        self.path = path
        self.logger = logger
    }

    /// Writes the directory as it is now; a failure is logged (the change itself stands). Saves asked for while one
    /// is written are covered by the next snapshot: one write for a burst of changes, never an older one last.
    func save() {
        guard let path else { return }
        let mine = requested.add(1, ordering: .sequentiallyConsistent).newValue
        saving.withLock { written in
            guard written < mine else { return }  // a snapshot taken after this change is on disk already
            let covered = requested.load(ordering: .sequentiallyConsistent)
            do {
                try Emulator.write(directory.snapshot(), to: path)
                written = covered
            } catch {
                logger.error("cannot save the directory", metadata: ["error": "\(error)", "path": "\(path)"])
            }
        }
    }
}
