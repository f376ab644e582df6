import Foundation
import HTTPTypes
import Hummingbird
import TesseraValidation

/// A per-route role requirement after ``AppTokenMiddleware``: 403 `insufficient_scope` when the caller lacks it.
public struct RequireAppRoles<Context: AppTokenContext>: RouterMiddleware {
    public let roles: Set<String>
    public let all: Bool
    public let realm: String

    public init(allOf roles: Set<String>, realm: String = "api") {
        (self.roles, self.all, self.realm) = (roles, true, realm)
    }
    public init(anyOf roles: Set<String>, realm: String = "api") {
        (self.roles, self.all, self.realm) = (roles, false, realm)
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let granted = context.appToken?.roles ?? []
        let satisfied = all ? roles.isSubset(of: granted) : !roles.isDisjoint(with: granted)
        guard context.appToken != nil, satisfied else {
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
