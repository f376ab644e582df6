import Foundation
import TesseraTestSupport
import Testing

@testable import Tessera

/// `ConfidentialClient.tokenSource(scope:tenant:)`: a view on the keyed cache that skips the look-up while its token is
/// short of the refresh point — same entries, one single flight, the same refresh.
@Suite("BoundTokenSource: one scope and tenant, sharing the client's cache")
struct BoundTokenSourceTests {
    let scope = "api://reports/.default"

    @Test("its hits are the keyed cache's token; keyed and bound callers together cause one request")
    func sharesTheCache() async throws {
        try await TestTokenServer.daemon().run { server in
            try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) { client in
                let bound = client.tokenSource(scope: scope)
                let tokens = try await withThrowingTaskGroup(of: AccessToken.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            index.isMultiple(of: 2) ? try await bound.token() : try await client.token(scope: scope)
                        }
                    }
                    return try await group.reduce(into: [AccessToken]()) { $0.append($1) }
                }
                #expect(Set(tokens.map(\.token)).count == 1)
                #expect(server.tokenRequests.count == 1, "one single flight for both")
                let hit = try await bound.token()
                #expect(hit.token == tokens[0].token && hit.source == .cache && hit.httpDuration == .zero)
                #expect(try await bound.token(for: TokenRequest(scope: scope)).token == hit.token)
                #expect(try await client.token(scope: scope).token == hit.token)
                #expect(server.tokenRequests.count == 1)
                #expect(bound.cache === client.cache)
            }
        }
    }

    @Test("past the refresh point it goes through the cache: the refreshed token replaces the held one")
    func followsRefresh() async throws {
        let clock = TestClock()
        try await TestTokenServer.daemon(expiresIn: 3599).run { server in
            try await withClient(
                server,
                credential: ClientSecretCredential(secret: testSecret),
                configure: { configuration in
                    configuration.now = { clock.now }
                    configuration.cache.random = { 0.5 }
                }
            ) { client in
                let bound = client.tokenSource(scope: scope)
                let first = try await bound.token()
                clock.advance(600)
                #expect(try await bound.token().token == first.token, "held: no request")
                #expect(server.tokenRequests.count == 1)
                clock.advance(3599 * 0.5)  // past the refresh point: the cache refreshes (hosted, or in the foreground)
                var refreshed = first.token
                for _ in 0..<400 where refreshed == first.token {
                    refreshed = try await bound.token().token
                    if refreshed == first.token { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(refreshed != first.token)
                #expect(server.tokenRequests.count == 2)
                #expect(try await client.token(scope: scope).token == refreshed, "the same entry")
            }
        }
    }

    @Test("another tenant and other requests go to the keyed cache; a forced source is never held")
    func otherRequests() async throws {
        try await TestTokenServer.daemon().run { server in
            try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) { client in
                let bound = client.tokenSource(scope: scope)
                _ = try await bound.token()
                _ = try await bound.token(for: TokenRequest(scope: "api://other/.default"))
                #expect(server.tokenRequests.count == 2)
                let forced = BoundTokenSource(
                    request: TokenRequest(scope: scope, forceRefresh: true),
                    cache: client.cache
                )
                _ = try await forced.token()
                _ = try await forced.token()
                #expect(server.tokenRequests.count == 4, "every forced call is a request")
            }
        }
    }
}
