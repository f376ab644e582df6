import Foundation
import HTTPTypes
import Hummingbird
import TesseraHummingbird
import TesseraValidation

/// A Graph-like API over each tenant's users, groups and memberships under `/v1.0`, protected by
/// ``AppTokenMiddleware`` as real Graph is (v1 tokens for `https://graph.microsoft.com` issued by this emulator,
/// app-only). Every path and method under `/v1.0` comes here, so that every answer — an unknown segment (400), a
/// wrong method (405), a missing permission (403) — is in Graph's error shape; ``GraphRouteTable`` names the paths,
/// ``GraphPermission`` the roles each accepts. Changes are saved to the state folder through `persist`.
struct GraphRoutes: Sendable {
    let directory: Directory
    let keys: SigningKeys
    let base: BaseURLs
    let now: @Sendable () -> Date
    let persist: @Sendable () -> Void

    /// The methods routed here; a path's own are in ``GraphRouteTable``, the others answered 405.
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head, .options]

    func register(on router: Router<EmulatorRequestContext>) {
        let validator = LazyGraphValidator(keys: keys, base: base, now: now)
        let graph = router.group("v1.0").add(middleware: GraphErrorShape()).add(
            middleware: AppTokenMiddleware(validator: validator, realm: "graph")
        )
        let api = GraphAPI(
            directory: directory,
            base: base,
            persist: persist,
            continuousAccess: GraphContinuousAccess(directory: directory, base: base)
        )
        for method in Self.methods {
            for path in ["", "**"] {
                graph.on(RouterPath(path), method: method) { request, context in
                    try await api.respond(to: request, context: context)
                }
            }
        }
    }
}

/// Answers one Graph request: the caller's token (CAE first), the path and method, the permission, then the
/// operation; every failure as a ``GraphError``.
struct GraphAPI: Sendable {
    let directory: Directory
    let base: BaseURLs
    let persist: @Sendable () -> Void
    let continuousAccess: GraphContinuousAccess

    func respond(to request: Request, context: EmulatorRequestContext) async throws -> Response {
        do {
            return try await handle(request, context: context)
        } catch let error as GraphError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            // A body over the upload bound, from Hummingbird's decoder.
            let code = error.status == .contentTooLarge ? "RequestEntityTooLarge" : "BadRequest"
            return try GraphError(error.status, code, "The request was refused: \(error.status.reasonPhrase).")
                .response(from: request, context: context)
        }
    }

    func handle(_ request: Request, context: EmulatorRequestContext) async throws -> Response {
        guard let token = context.appToken, let tenant = token.tenant else { throw GraphError.invalidToken }
        if let challenge = continuousAccess.challenge(for: token) { throw challenge }
        let segments = try GraphRouteTable.segments(of: request.uri.path)
        let (operation, keys) = try GraphRouteTable.resolve(segments, method: request.method)
        try operation.permission.check(token.roles)
        // Links name the host the client used (an SDK allowed only `127.0.0.1` must get its next page there too).
        let host = request.head.authority?.lowercased()
        let sameHost = base.all.first { url in host.map { url.lowercased().hasSuffix("://" + $0) } ?? false }
        let call = GraphCall(
            request: request,
            context: context,
            tenant: tenant,
            keys: keys,
            base: sameHost ?? base.primary
        )
        switch operation {
        case .listUsers: return try listUsers(call)
        case .countUsers: return try countUsers(call)
        case .createUser: return try await createUser(call)
        case .getUser: return try getUser(call)
        case .updateUser: return try await updateUser(call)
        case .deleteUser: return try deleteUser(call)
        case .listMemberOf: return try listMemberOf(call)
        case .listGroups: return try listGroups(call)
        case .countGroups: return try countGroups(call)
        case .createGroup: return try await createGroup(call)
        case .getGroup: return try getGroup(call)
        case .updateGroup: return try await updateGroup(call)
        case .deleteGroup: return try deleteGroup(call)
        case .listMembers: return try listMembers(call)
        case .addMember: return try await addMember(call)
        case .removeMember: return try removeMember(call)
        }
    }

    /// The token's tenant as the directory holds it now.
    func currentTenant(_ call: GraphCall) throws -> DirectoryModel.Tenant {
        guard let tenant = directory.tenant(call.tenant) else { throw GraphError.tenantMissing(call.tenant) }
        return tenant
    }

    /// Changes the token's tenant (see ``Directory/changeTenant(_:_:)``) and saves the directory once it changed.
    func change<Answer: Sendable>(
        _ call: GraphCall,
        _ body: (inout DirectoryModel.Tenant) throws -> Answer
    ) throws -> Answer {
        guard let answer = try directory.changeTenant(call.tenant, body) else {
            throw GraphError.tenantMissing(call.tenant)
        }
        persist()
        return answer
    }
}

/// One request as an operation sees it: the request, the token's tenant, the path's keys, and how to answer.
struct GraphCall {
    let request: Request
    let context: EmulatorRequestContext
    /// The token's tenant (`tid`).
    let tenant: String
    /// The path's keys: an ID or UPN, then a member's ID.
    let keys: [String]
    /// The emulator's base URL, for `@odata.context` and `@odata.nextLink`.
    let base: String

    /// The first key (the user or group the path names).
    var key: String { keys.first ?? "" }
    /// The second key (a member).
    var memberKey: String { keys.count > 1 ? keys[1] : "" }

    /// The request's query options, with its `ConsistencyLevel`.
    func queryOptions() throws -> QueryOptions {
        try QueryOptions(query: request.uri.query, consistencyLevel: request.headers[GraphHeader.consistencyLevel])
    }

    /// The answer `value` makes (through its `ResponseEncodable` conformance), with `status`.
    func answer(_ value: some ResponseGenerator, status: HTTPResponse.Status = .ok) throws -> Response {
        var response = try value.response(from: request, context: context)
        response.status = status
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// 204, as Graph answers a `PATCH`, a `DELETE` and a reference added.
    var noContent: Response { Response(status: .noContent, headers: [.cacheControl: "no-store"]) }

    /// The body decoded as `Body` with the context's decoder; anything but a JSON object of the right shape is
    /// Graph's 400 (a ``GraphError`` thrown while decoding is passed on as it is).
    func body<Body: Decodable>(_ type: Body.Type) async throws -> Body {
        do {
            return try await context.requestDecoder.decode(Body.self, from: request, context: context)
        } catch let error as DecodingError {
            throw GraphError.unreadableBody(Self.summary(error))
        }
    }

    static func summary(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted: return "the body is not JSON"
        case .keyNotFound(let key, _): return "'\(GraphError.quoted(key.stringValue, limit: 40))' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            guard !path.isEmpty else { return "the body is not a JSON object" }
            return "'\(GraphError.quoted(path, limit: 60))' has the wrong type"
        @unknown default: return "the body does not decode"
        }
    }
}
