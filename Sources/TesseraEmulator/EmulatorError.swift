import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE

/// The emulator could not start: it stopped before listening, or a state-folder file could not be written.
public struct EmulatorError: Error, CustomStringConvertible {
    /// What went wrong, and what to check.
    public let description: String
    init(_ description: String) { self.description = description }
}
