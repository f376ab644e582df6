import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import Tessera
import TesseraJOSE
import TesseraTestSupport
import Testing

@testable import TesseraDaemon

/// Onboarding's guards on a real operator endpoint over loopback; the consent proof is a closure handing back a token
/// (as `tessera run`'s does after a real token request), so each case can say what the identity provider answered.
@Suite("Onboarding: rate limits, the tenant asked for, recent failures, fixed messages")
struct OnboardingTests {
    static let contoso = "11111111-2222-3333-4444-555555555555"
    static let fabrikam = "66666666-7777-8888-9999-000000000000"

    /// What the proof closure saw and should answer.
    final class Prover: Sendable {
        let asked = Mutex<[String]>([])
        /// tenant asked → the token's `tid` (nil: the token request fails with a canary in its error).
        let answers: [String: String?]

        init(_ answers: [String: String?]) { self.answers = answers }

        func verify(_ tenant: String) async throws -> AccessToken {
            asked.withLock { $0.append(tenant) }
            guard let tid = answers[tenant] ?? nil else {
                throw IdentityError.invalidClient("AADSTS7000229 canary-detail for \(tenant)")
            }
            let claims = Base64URL.encode(Array(#"{"tid":"\#(tid)"}"#.utf8))
            return AccessToken(
                token: "e30.\(claims).c2ln",
                expiresOn: Date(timeIntervalSinceNow: 3600),
                lifetime: 3600,
                scopes: []
            )
        }
    }

    struct Endpoint {
        let port: Int
        let http: HTTPClient

        /// Status, body and the headers by lower-case name (first value).
        func get(
            _ path: String,
            cookie: String? = nil
        ) async throws -> (status: Int, body: String, headers: [String: String]) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            if let cookie { request.headers.add(name: "Cookie", value: cookie) }
            let response = try await http.execute(request, timeout: .seconds(10))
            var headers: [String: String] = [:]
            for (name, value) in response.headers where headers[name.lowercased()] == nil {
                headers[name.lowercased()] = value
            }
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)), headers)
        }

        /// `/onboarding/start?tenant=…` → the state and the browser's cookie.
        func start(_ tenant: String?) async throws -> (state: String, cookie: String) {
            let answer = try await get("/onboarding/start" + (tenant.map { "?tenant=\($0)" } ?? ""))
            #expect(answer.status == 302)
            let location = try #require(answer.headers["location"])
            let state = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "state" }?.value)
            let cookie = try #require(answer.headers["set-cookie"]?.split(separator: ";").first)
            return (state, String(cookie))
        }

        func callback(tenant: String, state: String, cookie: String) async throws -> (status: Int, body: String) {
            let answer = try await get(
                "/onboarding/callback?admin_consent=True&tenant=\(tenant)&state=\(state)",
                cookie: cookie
            )
            return (answer.status, answer.body)
        }
    }

    func withEndpoint(
        _ prover: Prover,
        limits: OnboardingLimits = OnboardingLimits(),
        _ body: (Endpoint) async throws -> Void
    ) async throws {
        let folder = NSTemporaryDirectory() + "tessera-onboarding-\(UUID().uuidString.prefix(8))"
        try SecretFile.prepareFolder(folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let onboarding = Onboarding(
            clientID: "5e5d4a3b-2c1d-4e0f-9a8b-7c6d5e4f3a2b",
            cloud: .public,
            redirectURI: "http://localhost:8400/onboarding/callback",
            registry: try TenantRegistry(path: folder + "/tenants.json"),
            limits: limits,
            prover.verify
        )
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let port = Atomic<Int>(0)
        let endpoint = OperatorEndpoint.application(
            port: 0,
            registry: PrometheusCollectorRegistry(),
            scheduler: nil,
            onboarding: onboarding,
            logger: logger
        ) { port.store($0, ordering: .relaxed) }
        let group = ServiceGroup(services: [endpoint], logger: logger)
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow  // the consent redirect is looked at, not followed
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for _ in 0..<400 where port.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(25)) }
            do {
                try await body(Endpoint(port: port.load(ordering: .relaxed), http: http))
            } catch {
                await group.triggerGracefulShutdown()
                try? await http.shutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await http.shutdown()
    }

    @Test("a tenant ID asked for at start must be the one consent came from; no token is asked for another")
    func boundTenantID() async throws {
        let prover = Prover([Self.contoso: Self.contoso, Self.fabrikam: Self.fabrikam])
        try await withEndpoint(prover) { endpoint in
            let flow = try await endpoint.start(Self.contoso)
            let answer = try await endpoint.callback(tenant: Self.fabrikam, state: flow.state, cookie: flow.cookie)
            #expect(answer.status == 400 && answer.body.contains("tenant_mismatch"))
            #expect(prover.asked.withLock { $0 }.isEmpty)
            let again = try await endpoint.start(Self.contoso)
            let granted = try await endpoint.callback(tenant: Self.contoso, state: again.state, cookie: again.cookie)
            #expect(granted.status == 200 && granted.body.contains("onboarded"))
        }
    }

    @Test("a domain asked for at start is proven by name: the token's tid must be the tenant consent came from")
    func boundDomain() async throws {
        let prover = Prover(["fabrikam.example": Self.fabrikam])
        try await withEndpoint(prover) { endpoint in
            let wrong = try await endpoint.start("fabrikam.example")
            let refused = try await endpoint.callback(tenant: Self.contoso, state: wrong.state, cookie: wrong.cookie)
            #expect(refused.status == 400 && refused.body.contains("tenant_mismatch"))
            let right = try await endpoint.start("fabrikam.example")
            let granted = try await endpoint.callback(tenant: Self.fabrikam, state: right.state, cookie: right.cookie)
            #expect(granted.status == 200 && granted.body.contains(Self.fabrikam))
            #expect(prover.asked.withLock { $0 } == ["fabrikam.example", "fabrikam.example"])
        }
    }

    @Test("a tenant whose consent could not be confirmed is not asked again for a while; the answer tells no detail")
    func recentFailure() async throws {
        let prover = Prover([:])
        try await withEndpoint(prover) { endpoint in
            for _ in 0..<3 {
                let flow = try await endpoint.start(nil)
                let answer = try await endpoint.callback(tenant: Self.fabrikam, state: flow.state, cookie: flow.cookie)
                #expect(answer.status == 400 && answer.body.contains("consent_not_confirmed"))
                #expect(
                    !answer.body.contains("canary") && !answer.body.contains("AADSTS")
                        && !answer.body.contains(Self.fabrikam)
                )
            }
            #expect(prover.asked.withLock { $0 } == [Self.fabrikam], "one token request, not one per callback")
        }
    }

    @Test("start and callback are rate-limited per client address (429 with Retry-After)")
    func rateLimited() async throws {
        let prover = Prover([Self.contoso: Self.contoso])
        try await withEndpoint(prover, limits: OnboardingLimits(perAddressBurst: 3, overallBurst: 100)) { endpoint in
            for _ in 0..<3 { #expect(try await endpoint.get("/onboarding/start").status == 302) }
            let limited = try await endpoint.get("/onboarding/start")
            #expect(limited.status == 429)
            #expect(limited.headers["retry-after"] == "60")
            #expect(try await endpoint.get("/onboarding/callback?state=x").status == 429)
        }
    }

    @Test(
        "behind the reverse proxy: each X-Forwarded-For client has its own bucket; a pending state always gets through"
    )
    func forwardedClients() async throws {
        let prover = Prover([Self.contoso: Self.contoso])
        try await withEndpoint(prover, limits: OnboardingLimits(perAddressBurst: 2, overallBurst: 100)) { endpoint in
            func start(from client: String) async throws -> Int {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(endpoint.port)/onboarding/start")
                request.headers.add(name: "X-Forwarded-For", value: "203.0.113.9, \(client)")
                return Int(try await endpoint.http.execute(request, timeout: .seconds(10)).status.code)
            }
            let flow = try await endpoint.start(nil)  // the administrator's own start (the proxy's address)
            #expect(try await start(from: "198.51.100.1") == 302)
            #expect(try await start(from: "198.51.100.1") == 302)
            #expect(try await start(from: "198.51.100.1") == 429)
            #expect(try await start(from: "198.51.100.2") == 302, "another client behind the same proxy")
            _ = try await endpoint.get("/onboarding/start")
            #expect(try await endpoint.get("/onboarding/start").status == 429, "the proxy's own address is spent")
            let granted = try await endpoint.callback(tenant: Self.contoso, state: flow.state, cookie: flow.cookie)
            #expect(granted.status == 200, "a callback with its pending state is not turned away")
        }
    }

    @Test("overall, every address together is limited too")
    func overallLimit() {
        let limits = OnboardingLimits(perAddressBurst: 5, overallBurst: 4)
        let now = Date()
        #expect((0..<4).allSatisfy { limits.admit("10.0.0.\($0)", now: now) })
        #expect(!limits.admit("10.0.0.9", now: now))
        #expect(limits.admit("10.0.0.9", now: now.addingTimeInterval(30)), "refilled at the burst per minute")
    }

    @Test("a malformed query is one fixed answer")
    func malformedQuery() async throws {
        try await withEndpoint(Prover([:])) { endpoint in
            let flow = try await endpoint.start(nil)
            let answer = try await endpoint.get(
                "/onboarding/callback?state=\(flow.state)&tenant=%ZZ",
                cookie: flow.cookie
            )
            #expect(answer.status == 400 && answer.body.contains("invalid_request"))
            #expect(try await endpoint.get("/onboarding/start?tenant=%ZZ").status == 400)
        }
    }
}
