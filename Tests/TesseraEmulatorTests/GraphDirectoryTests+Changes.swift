import AsyncHTTPClient
import Foundation
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// A `POST /users` body; a `nil` property is left out.
struct NewUser: Encodable {
    var accountEnabled: Bool? = true
    var displayName: String? = "Nina Park"
    var mailNickname: String? = "nina"
    var userPrincipalName: String? = "nina@contoso.example"
    var passwordProfile: [String: String]? = ["password": "Pa55-word!"]

    var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) }
}

extension GraphSession {
    func post(_ path: String, _ json: String) async throws -> Answer {
        try await call("POST", "/v1.0/" + path, json: json)
    }
    func patch(_ path: String, _ json: String) async throws -> Answer {
        try await call("PATCH", "/v1.0/" + path, json: json)
    }
    func delete(_ path: String) async throws -> Answer { try await call("DELETE", "/v1.0/" + path) }
    func read(_ path: String) async throws -> Answer { try await call("GET", "/v1.0/" + path) }
}

extension GraphDirectoryTests {
    struct RoutingCase: Sendable, CustomTestStringConvertible {
        let method: String
        let path: String
        let status: Int
        let code: String
        var message: String?
        var allow: String?
        var testDescription: String { "\(method) \(path) → \(status) \(code)" }
    }

    static let denied = "Request_BadRequest"
    static let missing = "Request_ResourceNotFound"

    static let routing: [RoutingCase] = [
        .init(method: "GET", path: "/v1.0/usrs", status: 400, code: bad, message: segment("usrs")),
        .init(method: "GET", path: "/v1.0/users/u1/manager", status: 400, code: bad, message: segment("manager")),
        .init(method: "GET", path: "/v1.0/groups/g1/members/u1", status: 400, code: bad, message: segment("u1")),
        .init(method: "GET", path: "/v1.0", status: 400, code: bad),
        .init(method: "GET", path: "/v1.0/users/%FF", status: 400, code: bad),
        .init(method: "PUT", path: "/v1.0/users", status: 405, code: denied, allow: "GET, POST"),
        .init(method: "DELETE", path: "/v1.0/groups", status: 405, code: denied, allow: "GET, POST"),
        .init(method: "POST", path: "/v1.0/users/u1", status: 405, code: denied, allow: "DELETE, GET, PATCH"),
        .init(method: "GET", path: "/v1.0/groups/g1/members/$ref", status: 405, code: denied, allow: "POST"),
        .init(method: "GET", path: "/v1.0/users/nobody", status: 404, code: missing),
        .init(method: "GET", path: "/v1.0/groups/u1", status: 404, code: missing),
    ]

    static func segment(_ name: String) -> String { "Resource not found for the segment '\(name)'." }

    @Test("every error in Graph's shape: unknown segment 400, wrong method 405, unknown object 404", arguments: routing)
    func routingError(_ test: RoutingCase) async throws {
        try await withGraph { graph in
            let answer: GraphSession.Answer
            if test.path.contains("%FF") {
                // AsyncHTTPClient decodes the path itself and cannot send a malformed escape: curl sends it as written.
                guard Peers.which("curl") != nil else {
                    if Peers.isCI { Issue.record("curl is missing: the malformed-escape case cannot run") }
                    return
                }
                var arguments = ["curl", "-s", "--noproxy", "*", "-w", "\n%{http_code}"]
                arguments += ["-H", "Authorization: Bearer \(graph.token)"]
                if let caFile = graph.emulator.caFile { arguments += ["--cacert", caFile] }
                let output = try await Peers.runAsync("/usr/bin/env", arguments + [graph.emulator.baseURL + test.path])
                let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
                answer = GraphSession.Answer(
                    status: Int(lines.last ?? "") ?? 0,
                    allow: nil,
                    body: Array(lines.dropLast().joined(separator: "\n").utf8)
                )
            } else {
                answer = try await graph.call(test.method, test.path)
            }
            #expect(answer.status == test.status, "\(answer.text.prefix(300))")
            #expect(answer.code == test.code)
            #expect(answer.object["error"]?["innerError"]?["request-id"]?.stringValue != nil)
            if let message = test.message { #expect(answer.message == message) }
            if let allow = test.allow { #expect(answer.allow == allow) }
        }
    }

    @Test("users: Graph's required properties and refusals, read by ID and UPN (a guest's with #EXT#), update, delete")
    func userLifecycle() async throws {
        try await withGraph { graph in
            let refusals: [(body: String, code: String, message: String)] = [
                (NewUser(mailNickname: nil).json, Self.denied, "Property mailNickname value is required"),
                (NewUser(passwordProfile: nil).json, Self.denied, "Property passwordProfile value is required"),
                (NewUser(passwordProfile: ["pasword": "x"]).json, Self.bad, "property named 'pasword'"),
                (#"{"shoeSize":"9"}"#, Self.bad, "'shoeSize' does not exist on type 'microsoft.graph.user'"),
                (#"{"accountEnabled":"yes"}"#, Self.denied, "property 'accountEnabled'"),
                (#"{"id":"x"}"#, Self.denied, "read-only"),
                ("not json", Self.bad, "Unable to read JSON request payload"),
                (NewUser(userPrincipalName: "nina@fabrikam.example").json, Self.denied, "domain portion"),
            ]
            for refusal in refusals {
                let answer = try await graph.post("users", refusal.body)
                #expect(answer.status == 400 && answer.code == refusal.code, "\(refusal.body): \(answer.text)")
                #expect(answer.message.contains(refusal.message), "\(refusal.body): \(answer.message)")
            }
            let created = try await graph.post("users", NewUser().json)
            #expect(created.status == 201)
            let id = try #require(created.object["id"]?.stringValue)
            #expect(created.object["@odata.context"]?.stringValue?.hasSuffix("/v1.0/$metadata#users/$entity") == true)
            #expect(created.object["passwordProfile"] == nil, "the password is not answered")
            for upn in ["nina@contoso.example", "NINA@contoso.example"] {
                let duplicate = try await graph.post("users", NewUser(userPrincipalName: upn).json)
                #expect(duplicate.status == 400 && duplicate.code == Self.denied)
                #expect(duplicate.message.contains("same value for property userPrincipalName already exists"))
            }
            #expect(try await graph.read("users/\(id)").object["userPrincipalName"] == "nina@contoso.example")
            #expect(try await graph.read("users/nina%40contoso.example").object["id"]?.stringValue == id)
            let guestUPN = "lidia_fabrikam.example%23EXT%23%40contoso.example"
            let guest = try await graph.read("users/\(guestUPN)?$select=id,userType")
            #expect(guest.object["id"] == "u4" && guest.object["userType"] == "Guest")

            let update =
                #"{"jobTitle":"Manager","accountEnabled":false,"department":null,"#
                + ##""@odata.type":"#microsoft.graph.user"}"##
            #expect(try await graph.patch("users/\(id)", update).status == 204)
            #expect(try await graph.patch("users/nina%40contoso.example", #"{"surname":"Park"}"#).status == 204)
            let read = try await graph.read("users/\(id)?$select=jobTitle,accountEnabled,department,surname")
            #expect(read.object["jobTitle"] == "Manager" && read.object["accountEnabled"] == .bool(false))
            #expect(read.object["department"] == .null && read.object["surname"] == "Park")
            #expect(read.object["displayName"] == nil, "only the selected properties")
            let taken = try await graph.patch("users/\(id)", #"{"userPrincipalName":"alex@contoso.example"}"#)
            #expect(taken.status == 400 && taken.message.contains("already exists"))
            let nulled = try await graph.patch("users/\(id)", #"{"displayName":null}"#)
            #expect(nulled.status == 400 && nulled.code == Self.denied)

            #expect(try await graph.delete("users/\(id)").status == 204)
            let gone = try await graph.read("users/\(id)")
            #expect(gone.status == 404 && gone.code == Self.missing)
            #expect(gone.message.hasPrefix("Resource '\(id)' does not exist or one of its queried reference-property"))
            #expect(try await graph.delete("users/\(id)").status == 404)
            #expect(try await graph.patch("users/nobody", "{}").status == 404)
        }
    }

    @Test("groups: create (members@odata.bind), $ref add and remove, members and memberOf typed, deletes cascade")
    func groupLifecycle() async throws {
        try await withGraph { graph in
            let incomplete = try await graph.post("groups", #"{"displayName":"Ops","mailEnabled":false}"#)
            #expect(incomplete.status == 400)
            #expect(incomplete.message == "Property mailNickname value is required but is empty or missing.")
            let body =
                #"{"displayName":"Ops","mailEnabled":false,"mailNickname":"ops","securityEnabled":true,"#
                + #""members@odata.bind":["https://graph.microsoft.com/v1.0/users/u1"]}"#
            let created = try await graph.post("groups", body)
            #expect(created.status == 201 && created.object["securityEnabled"] == .bool(true))
            let group = try #require(created.object["id"]?.stringValue)
            let members = "groups/\(group)/members"
            func reference(_ path: String) -> String { #"{"@odata.id":"https://graph.microsoft.com/v1.0/\#(path)"}"# }

            #expect(try await graph.post(members + "/$ref", Self.memberRef).status == 204)
            let again = try await graph.post(members + "/$ref", Self.memberRef)
            #expect(again.status == 400 && again.message.contains("already exist"))
            #expect(try await graph.post(members + "/$ref", reference("directoryObjects/nobody")).status == 404)
            let malformed = try await graph.post(members + "/$ref", #"{"@odata.id":"nobody"}"#)
            #expect(malformed.status == 400 && malformed.code == Self.bad)
            #expect(try await graph.post(members + "/$ref", reference("groups/\(group)")).status == 400)

            let listed = try await graph.read(members)
            #expect(listed.ids == ["u1", "u2"])
            #expect(listed.values.allSatisfy { $0["@odata.type"] == "#microsoft.graph.user" })
            let memberOf = try await graph.read("users/u2/memberOf")
            #expect(Set(memberOf.ids) == ["g2", group])
            #expect(memberOf.values.allSatisfy { $0["@odata.type"] == "#microsoft.graph.group" })
            let nested = try await graph.read("groups/g2/members")
            #expect(nested.values.contains { $0["id"] == "g1" && $0["@odata.type"] == "#microsoft.graph.group" })

            #expect(try await graph.patch("groups/\(group)", #"{"displayName":"Operations"}"#).status == 204)
            #expect(try await graph.read("groups/\(group)").object["displayName"] == "Operations")
            #expect(try await graph.delete(members + "/u2/$ref").status == 204)
            #expect(try await graph.delete(members + "/u2/$ref").status == 404)
            #expect(try await graph.delete("users/u1").status == 204)
            #expect(try await graph.read(members).ids.isEmpty, "a deleted user leaves its groups")
            #expect(try await graph.read("groups/g1/members").ids == ["u5"])
            #expect(try await graph.delete("groups/g1").status == 204)
            #expect(try await graph.read("groups/g2/members").ids == ["u2", "u3"], "a deleted group leaves its groups")
            #expect(try await graph.delete("groups/\(group)").status == 204)
            #expect(try await graph.read("groups/\(group)").status == 404)
        }
    }

    @Test("paging: $top pages follow @odata.nextLink, which keeps $filter and $count")
    func paging() async throws {
        try await withGraph(model: EmulatorFixture.directoryModel(extraUsers: 5)) { graph in
            let filter = ("$filter", "startswith(displayName,'User')")
            var next: String? = GraphSession.path("users", [("$top", "2"), filter, Self.count])
            var ids: [String] = []
            var pages = 0
            while let link = next, pages < 10 {
                let page = try await graph.get(link, eventual: true)
                #expect(page.status == 200 && page.object["@odata.count"]?.integerValue == 5)
                ids += page.ids
                next = page.object["@odata.nextLink"]?.stringValue
                pages += 1
            }
            #expect(ids == ["x01", "x02", "x03", "x04", "x05"])
            #expect(pages == 3)
        }
    }

    @Test("Graph changes persist in the state folder (0600) and survive a restart on it; the admin API seeds groups")
    func persistence() async throws {
        var options = Emulator.Options()
        let state = try EmulatorKeys.stateDirectory()
        options.stateDirectory = state
        let first = try await EmulatorKeys.start(EmulatorFixture.directoryModel(), options: options)
        do {
            let graph = try await GraphSession.open(first)
            #expect(try await graph.post("users", NewUser().json).status == 201)
            #expect(try await graph.post("groups/g1/members/$ref", Self.memberRef).status == 204)
            await graph.close()
            let seed = #"{"id":"g9","displayName":"Seeded","members":["u3","g1"]}"#
            let dangling = #"{"id":"g8","displayName":"Dangling","members":["nobody"]}"#
            let groups = "/admin/tenants/\(EmulatorFixture.contoso)/groups"
            #expect(try await post(first, path: groups, json: seed, adminKey: first.adminKey).status == 200)
            #expect(try await post(first, path: groups, json: dangling, adminKey: first.adminKey).status == 400)
            let itself = #"{"id":"g7","displayName":"Itself","members":["g7"]}"#
            #expect(try await post(first, path: groups, json: itself, adminKey: first.adminKey).status == 400)
            let twice = #"{"id":"g6","displayName":"Twice","members":["u3","U3"]}"#
            #expect(try await post(first, path: groups, json: twice, adminKey: first.adminKey).status == 400)
            // A whole tenant whose group lists an unknown member is refused now, not at the next start.
            var tenant = EmulatorFixture.directoryModel().tenants[0]
            tenant.groups[0].members.append("ghost")
            let tenantJSON = String(decoding: try JSONEncoder().encode(tenant), as: UTF8.self)
            #expect(
                try await post(first, path: "/admin/tenants", json: tenantJSON, adminKey: first.adminKey).status == 400
            )
            let nowhere = "/admin/tenants/nowhere/groups"
            #expect(try await post(first, path: nowhere, json: seed, adminKey: first.adminKey).status == 404)
        } catch {
            await first.stop()
            throw error
        }
        await first.stop()
        let attributes = try FileManager.default.attributesOfItem(atPath: state + "/directory.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let file = try String(contentsOfFile: state + "/directory.json", encoding: .utf8)
        #expect(!file.contains("Pa55-word!"), "a user's password is never kept")
        let saved = try DirectoryModel.load(path: state + "/directory.json")
        try await withEmulator(model: saved, configure: { $0.stateDirectory = state }) { second in
            let graph = try await GraphSession.open(second)
            let user = try await graph.read("users/nina%40contoso.example")
            #expect(user.status == 200 && user.object["displayName"] == "Nina Park")
            #expect(try await graph.read("groups/g1/members").ids == ["u1", "u5", "u2"])
            #expect(try await graph.read("groups/g9/members").ids == ["u3", "g1"])
            await graph.close()
        }
    }

    @Test("the directory file's groups: decoded with defaults; a member the tenant lacks is refused, naming the group")
    func directoryFileGroups() throws {
        let file =
            #"{"tenants":[{"id":"t1","users":[{"id":"a","displayName":"A","userPrincipalName":"a@t.example"}],"#
            + #""groups":[{"id":"g","displayName":"G","members":["a"]}]}]}"#
        let model = try JSONDecoder().decode(DirectoryModel.self, from: Data(file.utf8))
        #expect(model.tenants[0].groups[0].securityEnabled && !model.tenants[0].groups[0].mailEnabled)
        _ = try Directory(model)
        var broken = model
        broken.tenants[0].groups[0].members = ["ghost"]
        #expect {
            try Directory(broken)
        } throws: { error in
            "\(error)".contains("group 'g'") && "\(error)".contains("'ghost'")
        }
    }
}
