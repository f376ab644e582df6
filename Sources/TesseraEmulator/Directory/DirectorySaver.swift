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
    /// Held while a snapshot is taken and written; counts the saves.
    private let saving = Mutex<Int>(0)

    /// Saves `directory` to `path`; `nil` saves nothing (``Emulator/Options/persistDirectory`` off).
    init(directory: Directory, path: String?, logger: Logger) {
        self.directory = directory
        self.path = path
        self.logger = logger
    }

    /// Writes the directory as it is now; a failure is logged (the change itself stands).
    func save() {
        guard let path else { return }
        saving.withLock { saves in
            do {
                try Emulator.write(directory.snapshot(), to: path)
                saves += 1
            } catch {
                logger.error("cannot save the directory", metadata: ["error": "\(error)", "path": "\(path)"])
            }
        }
    }
}
