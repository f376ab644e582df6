/// How the client talks HTTP to the identity provider.
public struct HTTPConfiguration: Sendable {
    /// Where requests go through a proxy.
    public struct Proxy: Sendable, Hashable {
        enum Backing: Sendable, Hashable {
            case environment
            case none
            case server(host: String, port: Int)
        }
        let backing: Backing
        /// `HTTPS_PROXY`/`HTTP_PROXY` and `NO_PROXY` (either case), as curl and Azure SDKs read them. Loopback hosts
        /// are never proxied. The default.
        public static let environment = Proxy(backing: .environment)
        /// Connect directly.
        public static let none = Proxy(backing: .none)
        /// An explicit HTTP CONNECT proxy.
        public static func server(host: String, port: Int) -> Proxy { Proxy(backing: .server(host: host, port: port)) }
    }

    /// Time to establish a connection (TCP and TLS). Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// Time for a whole request, answer included. Default 30 s.
    public var requestTimeout: Duration = .seconds(30)
    /// A PEM file of extra trust roots added to the system's (e.g. the emulator's development CA). Default none.
    public var caFile: String?
    /// Proxy selection. Default ``Proxy/environment``.
    public var proxy: Proxy = .environment
    /// Largest answer body read from the identity provider; anything larger is a protocol error. Default 256 KiB.
    public var maximumResponseBytes: Int = 256 * 1024

    /// A configuration with every default.
    public init() {}
}
