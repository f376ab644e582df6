import Foundation
import HTTPTypes
import Hummingbird
import TesseraValidation

/// A per-route role requirement after ``AppTokenMiddleware``: 403 `insufficient_scope` when the caller lacks it.
/// Roles are compared by their UTF-8 bytes (``ValidatedToken/hasRole(_:)``), not by Unicode canonical equivalence.
public struct RequireAppRoles<Context: AppTokenContext>: RouterMiddleware {
    /// The roles required of the caller (every one or any one, per ``all``).
    public let roles: Set<String>
    /// `true`: every role in ``roles`` is required; `false`: at least one.
    public let all: Bool
    /// The `realm` named in the 403 challenge. Default `api`.
    public let realm: String

    /// Requires every role in `roles`.
    public init(allOf roles: Set<String>, realm: String = "api") {
        (self.roles, self.all, self.realm) = (roles, true, realm)
    }
    /// Requires at least one role in `roles` (an empty set lets no request through).
    public init(anyOf roles: Set<String>, realm: String = "api") {
        (self.roles, self.all, self.realm) = (roles, false, realm)
    }

    /// Passes the request on when ``AppTokenMiddleware`` accepted a caller with the required roles; otherwise answers
    /// 403 `insufficient_scope` (`missing_role`) without calling `next`.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let satisfied =
            context.appToken.map { token in
                all ? roles.allSatisfy(token.hasRole) : roles.contains(where: token.hasRole)
            } ?? false
        guard satisfied else {
            return AppTokenMiddleware<Context>.challenge(
                .forbidden,
                realm: realm,
                error: "insufficient_scope",
                description: "missing_role"
            )
        }
        return try await next(request, context)
    }
}
