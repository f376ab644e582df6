import Foundation
import HTTPTypes
import Hummingbird
import TesseraHummingbird

/// Graph's error shape for the bearer-token middleware's RFC 6750 answers (its `WWW-Authenticate` kept), as real Graph
/// answers a missing or bad token: `{"error":{"code":"InvalidAuthenticationToken","message":…}}`. Answers already in
/// Graph's shape (a ``GraphError``, which carries `request-id`) pass unchanged.
struct GraphErrorShape: RouterMiddleware {
    typealias Context = EmulatorRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let response = try await next(request, context)
        guard [400, 401, 403].contains(response.status.code), let challenge = response.headers[.wwwAuthenticate],
            response.headers[GraphHeader.requestID] == nil
        else { return response }
        let (code, message) =
            switch response.status.code {
            case 400: ("BadRequest", "The Authorization header is malformed.")
            case 403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
            default:
                (
                    "InvalidAuthenticationToken",
                    request.headers[.authorization] == nil
                        ? "Access token is empty." : "Access token validation failure."
                )
            }
        return try GraphError(response.status, code, message, headers: [.wwwAuthenticate: challenge]).response(
            from: request,
            context: context
        )
    }
}
