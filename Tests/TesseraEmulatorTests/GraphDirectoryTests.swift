import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// Raw Graph calls with one app token over one HTTP client (trusting the emulator's CA).
struct GraphSession: Sendable {
    let emulator: Emulator
    let token: String
    let http: HTTPClient

    struct Answer: Sendable {
        let status: Int
        let allow: String?
        let body: [UInt8]
        var object: [String: JSONValue] { (try? StrictJSON.parseObject(body)) ?? [:] }
        var code: String? { object["error"]?["code"]?.stringValue }
        var message: String { object["error"]?["message"]?.stringValue ?? "" }
        var values: [JSONValue] { object["value"]?.arrayValue ?? [] }
        var ids: [String] { values.compactMap { $0["id"]?.stringValue } }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func call(_ method: String, _ path: String, json: String? = nil, eventual: Bool = false) async throws -> Answer {
        var request = HTTPClientRequest(url: path.hasPrefix("https://") ? path : emulator.baseURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if eventual { request.headers.add(name: "ConsistencyLevel", value: "eventual") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(
            status: Int(response.status.code),
            allow: response.headers.first(name: "Allow"),
            body: Array(buffer: body)
        )
    }

    /// A session with `clientID`'s Graph token from `emulator`; ``close()`` shuts its client down.
    static func open(
        _ emulator: Emulator,
        clientID: String = EmulatorFixture.daemon,
        secret: String = EmulatorFixture.secret
    ) async throws -> GraphSession {
        let token = try await EmulatorFixture.graphToken(emulator, clientID: clientID, secret: secret)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = emulator.caFile { tls.additionalTrustRoots = [.file(caFile)] }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        return GraphSession(emulator: emulator, token: token, http: http)
    }

    func close() async { try? await http.shutdown() }

    func get(_ path: String, eventual: Bool = false) async throws -> Answer {
        try await call("GET", path, eventual: eventual)
    }

    /// `/v1.0/{path}?` with each option's value percent-encoded.
    static func path(_ path: String, _ options: [(String, String)] = []) -> String {
        let query = options.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        return "/v1.0/" + path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }
}

/// Runs `body` with an emulator serving `model` and a session with `clientID`'s Graph token.
func withGraph<R: Sendable>(
    model: DirectoryModel = EmulatorFixture.directoryModel(),
    clientID: String = EmulatorFixture.daemon,
    secret: String = EmulatorFixture.secret,
    _ body: (GraphSession) async throws -> R
) async throws -> R {
    try await withEmulator(model: model) { emulator in
        let graph = try await GraphSession.open(emulator, clientID: clientID, secret: secret)
        do {
            let result = try await body(graph)
            await graph.close()
            return result
        } catch {
            await graph.close()
            throw error
        }
    }
}

/// One emulator at a time (each case starts its own): a hundred starting at once would each make key material before
/// the shared copy exists (`EmulatorKeys`), on two cores.
@Suite("Graph directory: permissions, query options, users, groups, memberships, persistence", .serialized)
struct GraphDirectoryTests {
    static let newUser =
        #"{"accountEnabled":true,"displayName":"Nina Park","mailNickname":"nina","#
        + #""userPrincipalName":"nina@contoso.example","passwordProfile":{"password":"Pa55-word!"}}"#
    static let newGroup = #"{"displayName":"Ops","mailEnabled":false,"mailNickname":"ops","securityEnabled":true}"#
    static let memberRef = #"{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/u2"}"#

    struct PermissionCase: Sendable, CustomTestStringConvertible {
        let method: String
        let path: String
        var body: String?
        let roles: [String]
        let status: Int
        var testDescription: String {
            "\(method) \(path) with \(roles.isEmpty ? "no roles" : roles.joined(separator: "+")) → \(status)"
        }
    }

    /// The issue's permission table: every role a route accepts (each its own case), and roles it refuses (403).
    static func route(
        _ method: String,
        _ path: String,
        _ body: String? = nil,
        ok: Int,
        accepted: [String],
        denied: [String]
    ) -> [PermissionCase] {
        let allowed = accepted.map { PermissionCase(method: method, path: path, body: body, roles: [$0], status: ok) }
        let refused = denied.map { role in
            PermissionCase(method: method, path: path, body: body, roles: role.isEmpty ? [] : [role], status: 403)
        }
        return allowed + refused
    }

    static let permissions: [PermissionCase] = {
        let readUsers = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]
        let writeUsers = ["User.ReadWrite.All", "Directory.ReadWrite.All"]
        let readGroups = [
            "GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "GroupMember.ReadWrite.All",
            "Group.ReadWrite.All", "Directory.ReadWrite.All",
        ]
        let table: [[PermissionCase]] = [
            route("GET", "users", ok: 200, accepted: readUsers, denied: ["", "Group.Read.All"]),
            route("GET", "users/u1", ok: 200, accepted: readUsers, denied: ["GroupMember.Read.All"]),
            route("GET", "users/$count", ok: 200, accepted: readUsers, denied: ["Group.Read.All"]),
            route(
                "POST",
                "users",
                newUser,
                ok: 201,
                accepted: ["User.ReadWrite.All", "Directory.ReadWrite.All"],
                denied: ["User.Read.All", "Directory.Read.All"]
            ),
            route(
                "PATCH",
                "users/u2",
                #"{"jobTitle":"x"}"#,
                ok: 204,
                accepted: writeUsers,
                denied: ["User.Read.All"]
            ),
            route("DELETE", "users/u3", ok: 204, accepted: writeUsers, denied: ["Group.ReadWrite.All"]),
            route("GET", "groups", ok: 200, accepted: readGroups, denied: ["", "User.Read.All"]),
            route("GET", "groups/g1", ok: 200, accepted: readGroups, denied: ["User.ReadWrite.All"]),
            route("GET", "groups/g1/members", ok: 200, accepted: readGroups, denied: ["User.Read.All"]),
            route(
                "GET",
                "users/u1/memberOf",
                ok: 200,
                accepted: readGroups,
                denied: ["User.Read.All"]
            ),
            route(
                "POST",
                "groups",
                newGroup,
                ok: 201,
                accepted: ["Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"],
                denied: ["GroupMember.ReadWrite.All", "Group.Read.All"]
            ),
            route(
                "PATCH",
                "groups/g1",
                #"{"description":"x"}"#,
                ok: 204,
                accepted: ["Group.ReadWrite.All", "Directory.ReadWrite.All"],
                denied: ["Group.Create", "GroupMember.ReadWrite.All"]
            ),
            route(
                "DELETE",
                "groups/g2",
                ok: 204,
                accepted: ["Group.ReadWrite.All", "Directory.ReadWrite.All"],
                denied: ["Group.Create"]
            ),
            route(
                "POST",
                "groups/g1/members/$ref",
                memberRef,
                ok: 204,
                accepted: ["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"],
                denied: ["Group.Create", "Group.Read.All"]
            ),
            route(
                "DELETE",
                "groups/g1/members/u1/$ref",
                ok: 204,
                accepted: ["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"],
                denied: ["GroupMember.Read.All"]
            ),
        ]
        return table.flatMap { $0 }
    }()

    @Test("permission table", arguments: permissions)
    func permission(_ test: PermissionCase) async throws {
        try await withGraph(model: EmulatorFixture.directoryModel(roles: test.roles)) { graph in
            let answer = try await graph.call(test.method, "/v1.0/" + test.path, json: test.body, eventual: true)
            #expect(answer.status == test.status, "\(answer.text.prefix(300))")
            if test.status == 403 {
                #expect(answer.code == "Authorization_RequestDenied")
                #expect(answer.message == "Insufficient privileges to complete the operation.")
            }
        }
    }

    struct QueryCase: Sendable, CustomTestStringConvertible {
        let name: String
        let path: String
        var eventual = false
        var status = 200
        var code: String?
        var ids: [String]?
        var count: Int?
        var keys: Set<String>?
        var testDescription: String { name }
    }

    static let unsupported = "Request_UnsupportedQuery"
    static let bad = "BadRequest"
    static let all = ["u1", "u2", "u3", "u4", "u5"]
    /// Adele, Alex, Diego, Lidia, Megan.
    static let byName = ["u1", "u2", "u5", "u4", "u3"]

    static func users(_ options: (String, String)...) -> String { GraphSession.path("users", options) }

    static func filter(_ text: String, _ more: (String, String)...) -> String {
        GraphSession.path("users", [("$filter", text)] + more)
    }

    static let count = ("$count", "true")

    static let queries: [QueryCase] = [
        .init(name: "$filter eq on text", path: filter("displayName eq 'Adele Vance'"), ids: ["u1"]),
        .init(name: "$filter eq ignores case", path: filter("mail eq 'ADELE@contoso.example'"), ids: ["u1"]),
        .init(name: "$filter startswith", path: filter("startswith(displayName,'a')"), ids: ["u1", "u2"]),
        .init(name: "$filter on a boolean", path: filter("accountEnabled eq false"), ids: ["u3"]),
        .init(name: "$filter on the id", path: filter("id eq 'u4'"), ids: ["u4"]),
        .init(name: "$filter in", path: filter("department in ('Sales', 'Legal')"), ids: ["u2", "u3"]),
        .init(
            name: "$filter and, or, parentheses",
            path: filter("(department eq 'Engineering' or department eq 'Sales') and accountEnabled eq true"),
            ids: ["u1", "u2", "u5"]
        ),
        .init(name: "ne without the header", path: filter("accountEnabled ne true"), status: 400, code: unsupported),
        .init(
            name: "ne with ConsistencyLevel but no $count",
            path: filter("accountEnabled ne true"),
            eventual: true,
            status: 400,
            code: unsupported
        ),
        .init(
            name: "ne with ConsistencyLevel and $count",
            path: filter("accountEnabled ne true", count),
            eventual: true,
            ids: ["u3"],
            count: 1
        ),
        .init(
            name: "not, and a comparison with null, with ConsistencyLevel and $count",
            path: filter("not(jobTitle eq null)", count),
            eventual: true,
            ids: ["u1", "u2"]
        ),
        .init(
            name: "endsWith without ConsistencyLevel",
            path: filter("endswith(displayName,'vance')"),
            status: 400,
            code: unsupported
        ),
        .init(
            name: "endsWith with ConsistencyLevel and $count",
            path: filter("endswith(displayName,'vance')", count),
            eventual: true,
            ids: ["u1"]
        ),
        .init(
            name: "$filter with $orderby without ConsistencyLevel",
            path: filter("startswith(displayName,'a')", ("$orderby", "displayName desc")),
            status: 400,
            code: unsupported
        ),
        .init(
            name: "$filter with $orderby, ConsistencyLevel and $count",
            path: filter("startswith(displayName,'a')", ("$orderby", "displayName desc"), count),
            eventual: true,
            ids: ["u2", "u1"],
            count: 2
        ),
        .init(name: "$orderby displayName", path: users(("$orderby", "displayName")), ids: byName),
        .init(name: "$orderby desc", path: users(("$orderby", "displayName desc")), ids: Array(byName.reversed())),
        .init(
            name: "$orderby on another property without ConsistencyLevel",
            path: users(("$orderby", "userPrincipalName")),
            status: 400,
            code: unsupported
        ),
        .init(name: "$select", path: users(("$select", "displayName,jobTitle")), keys: ["displayName", "jobTitle"]),
        .init(name: "$select an unknown property", path: users(("$select", "shoeSize")), status: 400, code: bad),
        .init(name: "$count without ConsistencyLevel", path: users(count), status: 400, code: unsupported),
        .init(name: "$count with ConsistencyLevel", path: users(count), eventual: true, ids: all, count: 5),
        .init(
            name: "$search without ConsistencyLevel",
            path: users(("$search", "\"displayName:vanc\"")),
            status: 400,
            code: unsupported
        ),
        .init(name: "$search prefix", path: users(("$search", #""displayName:vanc""#)), eventual: true, ids: ["u1"]),
        .init(
            name: "$search OR",
            path: users(("$search", "\"displayName:adele\" OR \"displayName:megan\"")),
            eventual: true,
            ids: ["u1", "u3"]
        ),
        .init(name: "$search unquoted", path: users(("$search", "adele")), eventual: true, status: 400, code: bad),
        .init(name: "$top over 999", path: users(("$top", "1000")), status: 400, code: unsupported),
        .init(name: "an option given twice", path: users(("$top", "1"), ("$top", "2")), status: 400, code: bad),
        .init(name: "$filter syntax error", path: filter("displayName eq"), status: 400, code: bad),
        .init(name: "$filter unknown property", path: filter("shoeSize eq '9'"), status: 400, code: bad),
        .init(name: "$filter incompatible types", path: filter("accountEnabled eq 'yes'"), status: 400, code: bad),
        .init(name: "$filter unterminated text", path: filter("displayName eq 'Adele"), status: 400, code: bad),
        .init(
            name: "$filter nested too deep",
            path: filter(String(repeating: "(", count: 40) + "id eq 'u1'" + String(repeating: ")", count: 40)),
            status: 400,
            code: bad
        ),
        .init(
            name: "$filter with too many terms",
            path: filter(Array(repeating: "id eq 'u1'", count: 150).joined(separator: " or ")),
            status: 400,
            code: bad
        ),
        .init(
            name: "$filter over the length bound",
            path: filter(String(repeating: "x", count: 5000)),
            status: 400,
            code: bad
        ),
        .init(name: "$filter not UTF-8", path: "/v1.0/users?$filter=mail%20eq%20'%FF'", status: 400, code: bad),
        .init(name: "$filter with a NUL byte", path: "/v1.0/users?$filter=mail%00eq", status: 400, code: bad),
        .init(name: "$count segment", path: "/v1.0/users/$count", eventual: true),
        .init(name: "$count segment without the header", path: "/v1.0/users/$count", status: 400, code: unsupported),
        .init(
            name: "members with $select carry @odata.type",
            path: GraphSession.path("groups/g2/members", [("$select", "displayName")]),
            keys: ["@odata.type", "displayName"]
        ),
    ]

    @Test("query options", arguments: queries)
    func query(_ test: QueryCase) async throws {
        try await withGraph { graph in
            let answer = try await graph.get(test.path, eventual: test.eventual)
            #expect(answer.status == test.status, "\(answer.text.prefix(300))")
            if let code = test.code { #expect(answer.code == code, "\(answer.message)") }
            if let ids = test.ids { #expect(answer.ids == ids) }
            if let count = test.count { #expect(answer.object["@odata.count"]?.integerValue == Int64(count)) }
            if let keys = test.keys {
                #expect(answer.values.allSatisfy { Set($0.objectValue.map { Array($0.keys) } ?? []) == keys })
                #expect(!answer.values.isEmpty)
            }
            if test.path.hasSuffix("$count"), test.status == 200 { #expect(answer.text == "5") }
        }
    }
}
