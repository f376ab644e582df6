import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE

/// The base URLs the emulator answers on (known once the port is bound): the first is the issuer's.
final class BaseURLs: Sendable {
    private let urls = Mutex<[String]>(["http://127.0.0.1"])
    var primary: String { urls.withLock { $0[0] } }
    var all: [String] { urls.withLock { $0 } }
    func set(_ values: [String]) { urls.withLock { $0 = values } }
}
