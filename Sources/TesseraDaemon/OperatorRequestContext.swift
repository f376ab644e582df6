import Hummingbird
import NIOCore

/// The operator endpoint's request context: Hummingbird's basic one plus the peer's address (onboarding's rate limit
/// is kept per client address; behind a reverse proxy every client shares the proxy's).
public struct OperatorRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection's peer.
    public let remoteAddress: SocketAddress?

    /// The context of one request on `source`'s connection.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
