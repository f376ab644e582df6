import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TesseraHummingbird
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

/// What an unauthenticated client can learn from a 401 (nothing decided before the signature), a validated-token cache
/// shared between routes (entries are per validator), and per-route roles (compared by bytes).
@Suite("Middleware: a neutral 401 before the signature; the cache keyed by validator; roles compared by bytes")
struct ChallengeAndCacheTests {
    /// The parts of an answer a client sees.
    struct Answer: Equatable, CustomStringConvertible {
        let status: Int
        let challenge: String
        let body: String
        var description: String { "\(status) \(challenge) \(body)" }
    }

    static func answer(_ client: any TestClientProtocol, _ path: String, _ token: String) async throws -> Answer {
        let response = try await client.execute(
            uri: path,
            method: .get,
            headers: [.authorization: "Bearer " + token]
        )
        return Answer(
            status: response.status.code,
            challenge: response.headers[.wwwAuthenticate] ?? "",
            body: String(buffer: response.body)
        )
    }

    @Test("an unknown tenant, a wrong issuer, an unknown kid: byte-identical answers; after the signature, the reason")
    func neutralBeforeSignature() async throws {
        let issuer = TestIssuer.shared
        let router = Router(context: AppTokenRequestContext.self)
        router.add(
            middleware: AppTokenMiddleware(validator: try HostileTokens.validator(), realm: "reports", cache: nil)
        )
        router.get("reports") { _, _ in "ok" }
        let app = Application(router: router)
        let refusedBeforeSignature: [(String, String)] = [
            (
                "tenant not allowed",
                issuer.mint(
                    claims: HostileTokens.claims {
                        $0["tid"] = .string(TestIssuer.otherTenant)
                        $0["iss"] = .string("https://login.example.test/\(TestIssuer.otherTenant)/v2.0")
                    }
                )
            ),
            ("wrong issuer", issuer.mint(claims: HostileTokens.claims { $0["iss"] = "https://evil.example/v2.0" })),
            ("unknown kid", issuer.mint(header: HostileTokens.header { $0["kid"] = "k-unknown" })),
            ("bad signature", issuer.mint(key: issuer.otherKey)),
            ("malformed", "abc.def.ghi"),
        ]
        try await app.test(.router) { client in
            var answers: [Answer] = []
            for (name, token) in refusedBeforeSignature {
                let answer = try await Self.answer(client, "/reports", token)
                #expect(answer.status == 401, "\(name): \(answer)")
                answers.append(answer)
            }
            #expect(Set(answers.map(\.description)).count == 1, "\(answers)")
            let neutral = try #require(answers.first)
            #expect(
                neutral.challenge
                    == #"Bearer realm="reports", error="invalid_token", error_description="The token is not valid.""#
            )
            #expect(neutral.body == #"{"error":"invalid_token","error_description":"The token is not valid."}"#)
            for code in ["tenant_not_allowed", "bad_issuer", "unknown_key", "bad_signature", "malformed"] {
                #expect(!neutral.challenge.contains(code) && !neutral.body.contains(code))
            }

            // A good signature: the issuer vouched for the claims, and the reason helps the token's holder.
            let wrongAudience = try await Self.answer(
                client,
                "/reports",
                issuer.mint(claims: HostileTokens.claims { $0["aud"] = "https://graph.microsoft.com" })
            )
            #expect(wrongAudience.status == 401)
            #expect(wrongAudience.challenge.contains(#"error_description="bad_audience""#), "\(wrongAudience)")
            let forbidden = try await Self.answer(
                client,
                "/reports",
                issuer.mint(claims: HostileTokens.claims { $0["roles"] = .array(["Reports.Write.All"]) })
            )
            #expect(forbidden.status == 403)
            #expect(forbidden.challenge.contains(#"error_description="missing_role""#), "\(forbidden)")
        }
    }

    @Test("one cache shared by two validators: a token validator A accepted is validated afresh, and refused, by B")
    func cacheKeyedByValidator() async throws {
        let cache = ValidatedTokenCache()
        var strictPolicy = HostileTokens.policy()
        strictPolicy.audiences = ["api://another-api"]
        let lenient = try HostileTokens.validator()
        let strict = TokenValidator(policy: strictPolicy, keys: lenient.keys)
        let router = Router(context: AppTokenRequestContext.self)
        router.group("a").add(middleware: AppTokenMiddleware(validator: lenient, realm: "a", cache: cache)).get(
            "reports"
        ) { _, _ in "a" }
        router.group("b").add(middleware: AppTokenMiddleware(validator: strict, realm: "b", cache: cache)).get(
            "reports"
        ) { _, _ in "b" }
        router.group("c").add(middleware: AppTokenMiddleware(validator: lenient, realm: "c", cache: cache)).get(
            "reports"
        ) { _, _ in "c" }
        let token = TestIssuer.shared.mint()
        try await Application(router: router).test(.router) { client in
            #expect(try await Self.answer(client, "/a/reports", token).status == 200)
            #expect(cache.count == 1)
            for _ in 0..<2 {
                let refused = try await Self.answer(client, "/b/reports", token)
                #expect(refused.status == 401, "validator B must not be served A's acceptance: \(refused)")
                #expect(refused.challenge.contains("bad_audience"))
            }
            // The same validator in another middleware shares A's entry.
            #expect(try await Self.answer(client, "/c/reports", token).status == 200)
            #expect(cache.count == 1)
        }
    }

    @Test("validate(_:with:) directly: a hit, a rejection never cached, a canonically equivalent spelling not a hit")
    func cacheValidateDirectly() async throws {
        let cache = ValidatedTokenCache(capacity: 4)
        let validator = try HostileTokens.validator()
        let token = TestIssuer.shared.mint()
        let first = try await cache.validate(token, with: validator)
        let again = try await cache.validate(token, with: validator)
        #expect(again.callerApplication == first.callerApplication)
        #expect(again.expiresOn == first.expiresOn)
        #expect(cache.count == 1)
        let rejected = token.dropLast(2) + "AA"
        await #expect(throws: TokenRejection.self) { _ = try await cache.validate(String(rejected), with: validator) }
        #expect(cache.count == 1, "a rejection is not remembered")
        // The cached token with its first K spelled as the Kelvin sign: equal by String ==, not by bytes.
        let kelvin = try #require(
            token.firstIndex(of: "K").map { token.replacingCharacters(in: $0...$0, with: "\u{212A}") }
        )
        #expect(kelvin == token)
        await #expect(throws: TokenRejection.self) { _ = try await cache.validate(kelvin, with: validator) }
        #expect(cache.count == 1)
        #expect(!"\(cache)".contains(token.suffix(40)))
    }

    @Test("RequireAppRoles compares roles by bytes: the Kelvin sign is not K")
    func rolesComparedByBytes() async throws {
        let router = Router(context: AppTokenRequestContext.self)
        router.add(middleware: AppTokenMiddleware(validator: try HostileTokens.validator(), realm: "reports"))
        router.group("all").add(middleware: RequireAppRoles(allOf: ["Kelvin.Write"], realm: "reports"))
            .get("x") { _, _ in "all" }
        router.group("any").add(middleware: RequireAppRoles(anyOf: ["Kelvin.Write"], realm: "reports"))
            .get("x") { _, _ in "any" }
        let issuer = TestIssuer.shared
        let kelvin = issuer.mint(
            claims: HostileTokens.claims { $0["roles"] = .array(["Reports.Read.All", "\u{212A}elvin.Write"]) }
        )
        let real = issuer.mint(
            claims: HostileTokens.claims { $0["roles"] = .array(["Reports.Read.All", "Kelvin.Write"]) }
        )
        try await Application(router: router).test(.router) { client in
            for path in ["/all/x", "/any/x"] {
                let refused = try await Self.answer(client, path, kelvin)
                #expect(refused.status == 403, "\(path): \(refused)")
                #expect(refused.challenge.contains("missing_role"))
                #expect(try await Self.answer(client, path, real).status == 200, "\(path)")
            }
        }
    }
}
