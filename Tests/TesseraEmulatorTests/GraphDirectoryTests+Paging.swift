import Foundation
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

extension GraphDirectoryTests {
    @Test("paging is a cursor: a batch job deleting each page it read still sees every user once")
    func pagingWhileChanging() async throws {
        try await withGraph(model: EmulatorFixture.directoryModel(extraUsers: 7)) { graph in
            var next: String? = GraphSession.path(
                "users",
                [("$top", "2"), ("$filter", "startswith(displayName,'User')")]
            )
            var seen: [String] = []
            var pages = 0
            while let link = next, pages < 10 {
                let page = try await graph.get(link)
                #expect(page.status == 200, "\(page.text.prefix(200))")
                seen += page.ids
                for id in page.ids { #expect(try await graph.call("DELETE", "/v1.0/users/\(id)").status == 204) }
                next = page.object["@odata.nextLink"]?.stringValue
                pages += 1
            }
            #expect(seen == ["x01", "x02", "x03", "x04", "x05", "x06", "x07"], "an offset would skip every other page")
        }
    }

    @Test("the $count segment counts an advanced filter with ConsistencyLevel alone, as Graph's own example does")
    func countSegment() async throws {
        try await withGraph(model: EmulatorFixture.directoryModel(extraUsers: 3)) { graph in
            let path = GraphSession.path(
                "users/$count",
                [("$filter", "endsWith(userPrincipalName,'@contoso.example')")]
            )
            let counted = try await graph.get(path, eventual: true)
            #expect(counted.status == 200, "\(counted.text.prefix(200))")
            #expect(Int(counted.text) ?? 0 >= 3)
            #expect(try await graph.get(path).status == 400, "without ConsistencyLevel: eventual")
        }
    }

    @Test("a + in the query is a space, as Graph reads it (a literal plus is %2B)")
    func plusIsSpace() async throws {
        try await withGraph(model: EmulatorFixture.directoryModel(extraUsers: 2)) { graph in
            let spaced = try await graph.get("/v1.0/users?$filter=displayName+eq+'User+02'")
            #expect(spaced.status == 200 && spaced.ids == ["x02"], "\(spaced.text.prefix(200))")
            let plus = try await graph.get("/v1.0/users?$filter=displayName%20eq%20'User%2B02'")
            #expect(plus.status == 200 && plus.ids.isEmpty)
        }
    }
}
