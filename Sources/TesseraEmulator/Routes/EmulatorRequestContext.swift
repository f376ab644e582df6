import Hummingbird
import NIOCore
import TesseraHummingbird
import TesseraValidation

/// The emulator's request context: Hummingbird's basic one plus the connection (so a fault can drop it) and the
/// validated caller of the Graph-like API.
struct EmulatorRequestContext: AppTokenContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    var appToken: ValidatedToken?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
