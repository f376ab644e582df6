import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraJOSE

/// Answers 421 Misdirected Request unless the `Host` header is `localhost`, `127.0.0.1` or `[::1]` with the port the
/// connection came in on (``LoopbackHost/allowsHostHeader(_:boundPort:defaultPort:alsoAllowed:)``): a web page whose
/// name an attacker rebound to 127.0.0.1 (DNS rebinding) reaches the socket, but not the token endpoints, the admin
/// API or the managed-identity endpoints — its browser sends the attacker's name. A request with two `Host` headers
/// is refused too.
struct HostCheckMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext
    /// The scheme's default port (443 for HTTPS, 80 for HTTP): a `Host` without a port means it.
    let defaultPort: Int

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let port = context.channel.localAddress?.port ?? -1
        // HTTP/1's first Host header becomes the authority; a second one stays among the fields.
        let extraHost = !request.headers[values: Self.host].isEmpty
        let authority = request.head.authority
        guard !extraHost, LoopbackHost.allowsHostHeader(authority, boundPort: port, defaultPort: defaultPort) else {
            return Self.misdirected(port: port)
        }
        return try await next(request, context)
    }

    static let host = HTTPField.Name("Host")!

    /// The 421 answer: what the emulator answers to and what to use instead (never the request's own values).
    static func misdirected(port: Int) -> Response {
        json(
            [
                "error": "misdirected_request",
                "error_description":
                    "This emulator answers only requests whose Host header is localhost:\(port), 127.0.0.1:\(port) "
                    + "or [::1]:\(port). Use the base URL it printed (connection.json's baseURL); a web page under "
                    + "another name cannot reach it.",
            ],
            status: .misdirectedRequest
        )
    }
}
