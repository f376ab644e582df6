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
