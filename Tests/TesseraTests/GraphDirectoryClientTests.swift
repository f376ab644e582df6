import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// The Swift `DownstreamAPIClient` as a provisioning daemon uses it, against the emulator's Graph directory.
@Suite("DownstreamAPIClient against the emulator's Graph directory: create, update, paging through filtered results")
struct GraphDirectoryClientTests {
    struct User: Codable, Equatable {
        var id: String?
        var displayName: String?
        var userPrincipalName: String?
        var jobTitle: String?
        var accountEnabled: Bool?
    }

    struct NewUser: Encodable {
        struct Password: Encodable {
            let password: String
            let forceChangePasswordNextSignIn: Bool
        }

        let accountEnabled: Bool
        let displayName: String
        let mailNickname: String
        let userPrincipalName: String
        let passwordProfile: Password

        init(_ number: Int) {
            accountEnabled = number % 2 == 1
            displayName = "Batch \(number)"
            mailNickname = "batch\(number)"
            userPrincipalName = "batch\(number)@contoso.example"
            passwordProfile = Password(password: "Pa55-word-\(number)!", forceChangePasswordNextSignIn: false)
        }
    }

    struct Counted: Decodable {
        let count: Int
        let value: [User]

        enum CodingKeys: String, CodingKey {
            case count = "@odata.count"
            case value
        }
    }

    /// Runs `body` with a Graph caller whose tokens are the daemon's, granted the provisioning roles.
    func withGraph<R: Sendable>(_ body: (DownstreamAPIClient) async throws -> R) async throws -> R {
        try await withEmulator(model: EmulatorFixture.directoryModel()) { emulator in
            try await withClient(
                try emulatorClient(emulator, credential: ClientSecretCredential(secret: EmulatorFixture.secret))
            ) { client in
                var configuration = DownstreamAPIClient.Configuration()
                configuration.http.caFile = emulator.caFile
                let graph = try DownstreamAPIClient(
                    api: .graph(cloud: try .custom(emulator.baseURL)),
                    tokenSource: client,
                    configuration: configuration
                )
                do {
                    let result = try await body(graph)
                    try await graph.shutdown()
                    return result
                } catch {
                    try? await graph.shutdown()
                    throw error
                }
            }
        }
    }

    @Test("creates users (201), refuses a taken UPN, updates one by UPN (204), pages through filtered, selected users")
    func provisioning() async throws {
        try await withGraph { graph in
            var created: [User] = []
            for number in 1...7 {
                let answer = try await graph.send(.json("POST", "users", body: NewUser(number)))
                #expect(answer.status == 201)
                created.append(try answer.decode(User.self))
            }
            #expect(created.map(\.userPrincipalName) == (1...7).map { "batch\($0)@contoso.example" })
            let taken = await expectDownstreamError {
                _ = try await graph.send(.json("POST", "users", body: NewUser(3)))
            }
            #expect(taken?.status == 400 && taken?.apiCode == "Request_BadRequest")
            #expect(taken?.apiMessage?.contains("userPrincipalName already exists") == true)

            let change = User(jobTitle: "Operator", accountEnabled: false)
            let updated = try await graph.send(.json("PATCH", "users/batch3%40contoso.example", body: change))
            #expect(updated.status == 204)
            let selected = "users/batch3%40contoso.example?$select=id,jobTitle,accountEnabled"
            let read = try await graph.get(selected, as: User.self)
            #expect(read == User(id: created[2].id, jobTitle: "Operator", accountEnabled: false))

            var pages: [[String]] = []
            let count = try await graph.forEachPage(
                "users?$filter=startswith(displayName,'Batch')&$select=displayName&$top=3",
                of: User.self
            ) { page in
                pages.append(page.compactMap(\.displayName))
                #expect(page.allSatisfy { $0.id == nil && $0.userPrincipalName == nil }, "only the selected property")
            }
            #expect(count == 3)
            #expect(pages == [["Batch 1", "Batch 2", "Batch 3"], ["Batch 4", "Batch 5", "Batch 6"], ["Batch 7"]])
            let enabled = try await graph.allPages(
                "users?$filter=startswith(displayName,'Batch')%20and%20accountEnabled%20eq%20true&$top=2",
                of: User.self
            )
            #expect(enabled.compactMap(\.displayName) == ["Batch 1", "Batch 5", "Batch 7"])

            let advanced =
                "users?$filter=accountEnabled%20ne%20true%20and%20startswith(displayName,'Batch')&$count=true"
            let counted = try await graph.send(.init(path: advanced, headers: ["ConsistencyLevel": "eventual"]))
            #expect(try counted.decode(Counted.self).count == 4)
            let refused = await expectDownstreamError { _ = try await graph.send(.init(path: advanced)) }
            #expect(refused?.status == 400 && refused?.apiCode == "Request_UnsupportedQuery")

            let deleted = try await graph.send(.init(method: "DELETE", path: "users/\(created[6].id ?? "")"))
            #expect(deleted.status == 204)
            let gone = await expectDownstreamError {
                _ = try await graph.get("users/batch7%40contoso.example", as: User.self)
            }
            #expect(gone?.apiCode == "Request_ResourceNotFound")
        }
    }

    @Test("a group: created, a member added by reference and listed, the member's memberOf, the member removed")
    func membership() async throws {
        struct NewGroup: Encodable {
            let displayName = "Batch operators"
            let mailEnabled = false
            let mailNickname = "batch-operators"
            let securityEnabled = true
        }
        try await withGraph { graph in
            let group = try await graph.send(.json("POST", "groups", body: NewGroup())).decode(User.self)
            let id = try #require(group.id)
            let reference = ["@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/u2"]
            #expect(try await graph.send(.json("POST", "groups/\(id)/members/$ref", body: reference)).status == 204)
            #expect(try await graph.allPages("groups/\(id)/members", of: User.self).map(\.id) == ["u2"])
            #expect(try await graph.allPages("users/u2/memberOf", of: User.self).map(\.id).contains(id))
            let removed = try await graph.send(.init(method: "DELETE", path: "groups/\(id)/members/u2/$ref"))
            #expect(removed.status == 204)
            #expect(try await graph.allPages("groups/\(id)/members", of: User.self).isEmpty)
        }
    }
}
