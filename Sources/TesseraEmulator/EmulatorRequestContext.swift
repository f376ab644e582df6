import Hummingbird
import NIOCore

/// The emulator's request context: Hummingbird's basic one plus the connection, so a fault can drop it.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
