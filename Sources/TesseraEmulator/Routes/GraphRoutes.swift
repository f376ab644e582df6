import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import TesseraHummingbird
import TesseraJOSE
import TesseraValidation

/// A Graph-like API over each tenant's users, protected by ``AppTokenMiddleware`` as real Graph is: v1 tokens for
/// `https://graph.microsoft.com` issued by this emulator, app-only, app role `User.Read.All` (or `User.ReadWrite.All`,
/// `Directory.Read.All`), `$top` and `@odata.nextLink` paging, Graph's error shape.
struct GraphRoutes: Sendable {
    let directory: Directory
    let keys: SigningKeys
    let base: BaseURLs
    let now: @Sendable () -> Date

    static let readRoles: Set<String> = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"]

    func register(on router: Router<EmulatorRequestContext>) {
        let validator = LazyGraphValidator(keys: keys, base: base, now: now)
        let graph = router.group("v1.0").add(middleware: GraphErrorShape()).add(
            middleware: AppTokenMiddleware(validator: validator, realm: "graph")
        )
        graph.get("users") { request, context in try self.users(request, context) }
        graph.get("users/:id") { _, context in try self.user(context.parameters.require("id"), context) }
    }

    func authorized(_ context: EmulatorRequestContext) -> (tenant: String, denied: Response?) {
        let token = context.appToken
        guard let tenant = token?.tenant else {
            return ("", Self.error(.unauthorized, "InvalidAuthenticationToken", "Access token validation failure."))
        }
        if let challenge = continuousAccessEvaluation(token) { return (tenant, challenge) }
        guard let roles = token?.roles, !roles.isDisjoint(with: Self.readRoles) else {
            return (
                tenant,
                Self.error(
                    .forbidden,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation."
                )
            )
        }
        return (tenant, nil)
    }

    func users(_ request: Request, _ context: EmulatorRequestContext) throws -> Response {
        let (tenant, denied) = authorized(context)
        if let denied { return denied }
        let query = request.uri.queryParameters
        // Graph takes `$top` and its percent-encoded form `%24top` (as generated clients send it).
        func parameter(_ name: String) -> String? { query.get("$" + name) ?? query.get("%24" + name) }
        let top = min(max(parameter("top").flatMap(Int.init) ?? 100, 1), 999)
        let all = directory.users(tenant: tenant)
        let skip = min(max(parameter("skiptoken").flatMap(Int.init) ?? 0, 0), all.count)
        let page = all.dropFirst(skip).prefix(top)
        var body: [String: Any] = [
            "@odata.context": "\(base.primary)/v1.0/$metadata#users",
            "value": page.map(Self.json),
        ]
        if skip + top < all.count {
            body["@odata.nextLink"] = "\(base.primary)/v1.0/users?$top=\(top)&$skiptoken=\(skip + top)"
        }
        return TesseraEmulator.json(body)
    }

    func user(_ id: String, _ context: EmulatorRequestContext) throws -> Response {
        let (tenant, denied) = authorized(context)
        if let denied { return denied }
        guard
            let user = directory.users(tenant: tenant).first(where: {
                $0.id == id || $0.userPrincipalName.lowercased() == id.lowercased()
            })
        else {
            return Self.error(
                .notFound,
                "Request_ResourceNotFound",
                "Resource '\(id.prefix(64))' does not exist or one of its queried reference-property objects are not present."
            )
        }
        var body = Self.json(user)
        body["@odata.context"] = "\(base.primary)/v1.0/$metadata#users/$entity"
        return TesseraEmulator.json(body)
    }

    /// CAE: a token of a client whose sessions were revoked after it was issued is refused; a client that declared
    /// `cp1` gets a claims challenge (`nbf` = the revocation time) it can answer with a fresh token, others a plain
    /// 401.
    func continuousAccessEvaluation(_ token: ValidatedToken?) -> Response? {
        guard let token, let client = token.callerApplication, let revoked = directory.revocation(client: client),
            let issuedAt = token.claims["iat"]?.doubleValue, issuedAt <= revoked.timeIntervalSince1970.rounded(.down)
        else { return nil }
        let capable = token.claims["xms_cc"]?.arrayValue?.contains(.string("cp1")) == true
        var response = Self.error(
            .unauthorized,
            "InvalidAuthenticationToken",
            capable
                ? "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp"
                : "Lifetime validation failed, the token is expired."
        )
        var challenge =
            "Bearer realm=\"\", authorization_uri=\"\(base.primary)/common/oauth2/authorize\", client_id=\"\(Directory.graphClientID)\""
        if capable {
            let claims =
                #"{"access_token":{"nbf":{"essential":true,"value":""# + "\(Int64(revoked.timeIntervalSince1970))"
                + #""}}}"#
            challenge += ", error=\"insufficient_claims\", claims=\"\(Data(claims.utf8).base64EncodedString())\""
        } else {
            challenge += ", error=\"invalid_token\""
        }
        response.headers[.wwwAuthenticate] = challenge
        return response
    }

    static func json(_ user: DirectoryModel.User) -> [String: Any] {
        ["id": user.id, "displayName": user.displayName, "userPrincipalName": user.userPrincipalName]
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        var response = TesseraEmulator.json([
            "error": ["code": code, "message": message, "innerError": ["request-id": UUID().uuidString.lowercased()]]
        ])
        response.status = status
        return response
    }
}
