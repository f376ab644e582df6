import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TesseraJOSE
import TesseraTestSupport
import Testing

@testable import Tessera

/// A provider that counts requests and holds each one until released (or cancelled).
final class HeldTokenSource: TokenSource {
    let calls = Atomic<Int>(0)
    let held = Mutex<[SharedResult<Void>]>([])
    /// Requests answered at once (before any is held).
    let immediate: Int
    let now: @Sendable () -> Date

    init(immediate: Int = 0, now: @escaping @Sendable () -> Date = { Date() }) {
        self.immediate = immediate
        self.now = now
    }

    func token(for request: TokenRequest) async throws -> AccessToken {
        let call = calls.wrappingAdd(1, ordering: .relaxed).newValue
        if call > immediate {
            let gate = SharedResult<Void>()
            held.withLock { $0.append(gate) }
            try await gate.value()
        }
        return AccessToken(
            token: "token-\(call)",
            expiresOn: now().addingTimeInterval(3599),
            lifetime: 3599,
            scopes: request.scopes
        )
    }

    func releaseAll() { for gate in held.withLock({ $0 }) { gate.finish(.success(())) } }
}

/// A flag set once, read from any task.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// A user-written credential holding several secrets (not ``RotatingCredential``): it takes part in rotation through
/// the ``ClientCredential`` hook.
final class VaultSecrets: ClientCredential {
    let secrets: [String]
    let current = Mutex(0)
    let rejections = Atomic<Int>(0)
    var identity: String { "vault:test" }
    var alternativeCount: Int { secrets.count - 1 }

    init(_ secrets: [String]) { self.secrets = secrets }

    func authentication(for context: CredentialContext) async throws -> ClientAuthentication {
        let index = current.withLock { $0 }
        return ClientAuthentication(
            formFields: [("client_secret", secrets[index])],
            sensitiveValues: [secrets[index]],
            credentialIdentity: "\(index)"
        )
    }

    func rejected(_ authentication: ClientAuthentication) async {
        rejections.add(1, ordering: .relaxed)
        let index = Int(authentication.credentialIdentity ?? "") ?? 0
        current.withLock { if $0 == index { $0 = min(index + 1, secrets.count - 1) } }
    }
}

@Suite("Owned lifetimes: cancellable waiters, graceful shutdown, pools")
struct LifetimeTests {
    let graph = "https://graph.microsoft.com/.default"

    @Test(
        "100 callers on one cold key; the first is cancelled: it leaves at once, the other 99 get the token, 1 request"
    )
    func cancelledFirstWaiter() async throws {
        let upstream = HeldTokenSource()
        let cache = CachingTokenSource(upstream: upstream, defaultTenant: "contoso")
        let first = Task { try await cache.token(scope: graph) }
        await eventually { upstream.held.withLock { $0.count } == 1 }
        let others = (0..<99).map { _ in Task { try await cache.token(scope: graph).token } }
        await eventually { cache.sharedFetchWaiters == 100 }
        first.cancel()
        let cancelled = await first.result
        #expect(throws: CancellationError.self) { try cancelled.get() }
        #expect(upstream.held.withLock { $0.count } == 1, "the provider still holds the request")
        #expect(cache.sharedFetchWaiters == 99)
        upstream.releaseAll()
        for task in others { #expect(try await task.value == "token-1") }
        #expect(upstream.calls.load(ordering: .relaxed) == 1)
        await cache.shutdown()
    }

    @Test("after graceful shutdown no refresh starts; run() returns when the in-flight refresh's timeout passes")
    func gracefulShutdown() async throws {
        let clock = TestClock()
        let timeUp = SharedResult<Void>()
        var policy = TokenCachePolicy()
        policy.now = { clock.now }
        policy.random = { 0.5 }
        policy.timeoutSleep = { _ in try await timeUp.value() }
        let upstream = HeldTokenSource(immediate: 2, now: { clock.now })
        let cache = CachingTokenSource(upstream: upstream, defaultTenant: "contoso", policy: policy)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = ServiceGroup(services: [cache], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await eventually { cache.isHostingRefreshes }
            _ = try await cache.token(scope: graph)
            _ = try await cache.token(scope: graph, tenant: "fabrikam")
            clock.advance(3599 * 0.41)
            _ = try await cache.token(scope: graph)  // starts the background refresh, held by the provider
            await eventually { upstream.held.withLock { $0.count } == 1 }
            await group.triggerGracefulShutdown()
            await eventually { !cache.isHostingRefreshes }
            _ = try await cache.token(scope: graph, tenant: "fabrikam")  // past its refresh point too
            #expect(upstream.calls.load(ordering: .relaxed) == 3, "no refresh starts after graceful shutdown")
            #expect(cache.activeRefreshes == 1, "the in-flight refresh is still running")
            let shutdownReturned = Flag()
            tasks.addTask {
                await cache.shutdown()  // after the graceful shutdown began: still waits for the drain
                shutdownReturned.set()
            }
            await eventually { shutdownReturned.isSet }
            #expect(!shutdownReturned.isSet, "shutdown() waits while a refresh is in flight")
            timeUp.finish(.success(()))  // its request timeout passes: it is cancelled
            try await tasks.waitForAll()
            #expect(shutdownReturned.isSet)
        }
        #expect(cache.activeRefreshes == 0)
        #expect(upstream.calls.load(ordering: .relaxed) == 3)
    }

    @Test("shutdown shuts down an owned pool and leaves an injected one running; later misses fail clearly")
    func pools() async throws {
        try await TestTokenServer.daemon().run { server in
            let configuration = ConfidentialClient.Configuration(
                clientID: daemonClientID,
                authority: try .microsoft(tenant: tenantID, cloud: .custom(server.baseURL)),
                credential: ClientSecretCredential(secret: testSecret)
            )
            let injected = HTTPClient(eventLoopGroupProvider: .singleton)
            let borrowing = try ConfidentialClient(configuration: configuration, httpClient: injected)
            _ = try await borrowing.token(scope: graph)
            try await borrowing.shutdown()
            let answer = try await injected.execute(HTTPClientRequest(url: server.baseURL + "/"), timeout: .seconds(5))
            #expect(answer.status.code > 0, "the injected pool still sends")
            try await injected.shutdown()

            let owning = try ConfidentialClient(configuration: configuration)
            _ = try await owning.token(scope: graph)
            try await owning.shutdown()
            await #expect(throws: HTTPClientError.alreadyShutdown) {
                _ = try await owning.httpClient.execute(
                    HTTPClientRequest(url: server.baseURL + "/"),
                    timeout: .seconds(5)
                )
            }
            let error = await expectIdentityError { _ = try await owning.token(scope: graph, tenant: "fabrikam") }
            #expect(error?.code == .clientShutDown)
            #expect(try await owning.token(scope: graph).source == .cache, "cached tokens still serve")
            try await owning.shutdown()  // twice is fine
        }
    }

    @Test("a user-written credential holding several secrets takes part in rotation on AADSTS7000215")
    func customRotation() async throws {
        try await TestTokenServer.daemon().run { server in
            let credential = VaultSecrets(["retired~canary-secret", testSecret])
            try await withClient(server, credential: credential) { client in
                let token = try await client.token(scope: graph)
                #expect(token.source == .identityProvider)
                #expect(credential.rejections.load(ordering: .relaxed) == 1)
                #expect(server.tokenRequests.count == 2)
                _ = try await client.token(for: TokenRequest(scope: graph, forceRefresh: true))
                #expect(credential.rejections.load(ordering: .relaxed) == 1, "the working secret is used from then on")
            }
        }
    }
}
