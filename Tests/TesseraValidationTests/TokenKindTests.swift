import Foundation
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

/// An Entra ID token for the same app has the API's `aud` and issuer: it must not pass as an access token, whatever
/// `appOnly` says. RFC 9068 app-only cannot rest on `sub == client_id` alone: it needs `allowedCallers`, and honours
/// `gty`.
@Suite("Token kinds: Entra ID tokens refused; RFC 9068 app-only needs callers and honours gty")
struct TokenKindTests {
    /// The multi-tenant test issuer, the test API, nothing else required (so only the token's kind can refuse it).
    static func entraPolicy(appOnly: Bool) -> ValidationPolicy {
        var policy = ValidationPolicy(
            issuer: .multiTenant(template: TestIssuer.template, allowedTenants: [TestIssuer.tenant]),
            audiences: [TestIssuer.api]
        )
        policy.appOnly = appOnly
        return policy
    }

    /// The claims of an Entra v2 ID token for the API's app: `aud` is the app, no `azp`, no `scp` or `roles`.
    static func idToken(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> String {
        let time = Double(Int(Date().timeIntervalSince1970))
        var claims: [String: JSONValue] = [
            "aud": .string(TestIssuer.api), "iss": .string(TestIssuer.shared.issuer), "iat": .number(time - 60),
            "nbf": .number(time - 60), "exp": .number(time + 3600), "tid": .string(TestIssuer.tenant),
            "oid": "5e6f7a8b-0000-4000-8000-000000000001", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "nonce": "n-0S6_WzA2Mj", "name": "Ada Lovelace", "preferred_username": "ada@contoso.example",
            "ver": "2.0", "uti": "abc",
        ]
        change(&claims)
        return TestIssuer.shared.mint(claims: claims)
    }

    struct EntraCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let appOnly: Bool
        let token: @Sendable () -> String
        init(_ name: String, appOnly: Bool, _ token: @escaping @Sendable () -> String) {
            (testDescription, self.appOnly, self.token) = ("\(name), appOnly \(appOnly)", appOnly, token)
        }
    }

    static let idTokens: [EntraCase] = [false, true].flatMap { (appOnly: Bool) -> [EntraCase] in
        [
            EntraCase("ID token (nonce, no azp, no scp or roles)", appOnly: appOnly) { idToken() },
            EntraCase("ID token whose sub is its oid", appOnly: appOnly) {
                idToken { $0["sub"] = "5e6f7a8b-0000-4000-8000-000000000001" }
            },
            EntraCase("ID token without nonce", appOnly: appOnly) { idToken { $0["nonce"] = nil } },
            EntraCase("ID token with azp", appOnly: appOnly) { idToken { $0["azp"] = .string(TestIssuer.daemon) } },
            EntraCase("ID token with azp and idtyp user, without nonce", appOnly: appOnly) {
                idToken { claims in
                    claims["nonce"] = nil
                    claims["azp"] = .string(TestIssuer.daemon)
                    claims["idtyp"] = "user"
                }
            },
            EntraCase("app access token carrying nonce", appOnly: appOnly) {
                TestIssuer.shared.mint(claims: HostileTokens.claims { $0["nonce"] = "n-0S6_WzA2Mj" })
            },
            EntraCase("v1 ID token (no appid)", appOnly: appOnly) {
                idToken { claims in
                    claims["ver"] = "1.0"
                    claims["nonce"] = nil
                }
            },
        ]
    }

    @Test("an ID-token-shaped token is not an access token", arguments: idTokens)
    func idTokenRefused(_ testCase: EntraCase) async throws {
        let validator = TokenValidator(
            policy: Self.entraPolicy(appOnly: testCase.appOnly),
            keys: try SigningKeySet(jwks: TestIssuer.shared.jwks())
        )
        await expectRejection(.notAccessToken) { try await validator.validate(testCase.token()) }
    }

    @Test("access tokens still pass: app-only (appOnly true and false), delegated with scp (appOnly false)")
    func accessTokensPass() async throws {
        let keys = try SigningKeySet(jwks: TestIssuer.shared.jwks())
        let app = TestIssuer.shared.mint()
        _ = try await TokenValidator(policy: Self.entraPolicy(appOnly: true), keys: keys).validate(app)
        _ = try await TokenValidator(policy: Self.entraPolicy(appOnly: false), keys: keys).validate(app)
        let delegated = TestIssuer.shared.mint(
            claims: HostileTokens.claims { claims in
                claims["scp"] = "Reports.Read"
                claims["roles"] = nil
                claims["idtyp"] = "user"
            }
        )
        // An app token granted no app role: no roles, but Entra's idtyp app says it is an access token (403 later).
        let roleless = TestIssuer.shared.mint(claims: HostileTokens.claims { $0["roles"] = nil })
        _ = try await TokenValidator(policy: Self.entraPolicy(appOnly: true), keys: keys).validate(roleless)
        let user = try await TokenValidator(policy: Self.entraPolicy(appOnly: false), keys: keys).validate(delegated)
        #expect(user.roles.isEmpty)
        await expectRejection(.notAppOnly) {
            try await TokenValidator(policy: Self.entraPolicy(appOnly: true), keys: keys).validate(delegated)
        }
    }

    // MARK: RFC 9068

    static let server = "https://as.example"
    static let client = "daemon-client"

    static func rfc9068Policy(appOnly: Bool = true, callers: Set<String>? = [client]) -> ValidationPolicy {
        var policy = ValidationPolicy(issuer: .exact(server), audiences: ["api.read"])
        policy.profile = .rfc9068
        policy.appOnly = appOnly
        policy.allowedCallers = callers
        return policy
    }

    static func rfc9068(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> String {
        let time = Double(Int(Date().timeIntervalSince1970))
        var claims: [String: JSONValue] = [
            "iss": .string(server), "aud": "api.read", "iat": .number(time - 60), "exp": .number(time + 3600),
            "sub": .string(client), "client_id": .string(client), "jti": "j-1", "scope": "api.read",
        ]
        change(&claims)
        return TestIssuer.shared.mint(header: HostileTokens.header { $0["typ"] = "at+jwt" }, claims: claims)
    }

    @Test("RFC 9068 app-only without allowedCallers: a token with gty client_credentials passes, one without gty not")
    func rfc9068WithoutCallers() async throws {
        let keys = try TestJWKS.unscoped()
        let validator = TokenValidator(policy: Self.rfc9068Policy(callers: nil), keys: keys)
        _ = try await validator.validate(Self.rfc9068 { $0["gty"] = "client_credentials" })
        do {
            _ = try await validator.validate(Self.rfc9068())
            Issue.record("sub == client_id alone accepted as app-only")
        } catch {
            #expect(error.reason == .notAppOnly)
            #expect(error.explanation.contains("allowedCallers"), "\(error)")
        }
        _ = try await TokenValidator(policy: Self.rfc9068Policy(), keys: keys).validate(Self.rfc9068())
    }

    struct GrantCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let gty: JSONValue?
        let appOnly: Bool
        let accepted: Bool
    }

    static let grants: [GrantCase] = [
        GrantCase(testDescription: "no gty, app-only", gty: nil, appOnly: true, accepted: true),
        GrantCase(testDescription: "gty client_credentials", gty: "client_credentials", appOnly: true, accepted: true),
        GrantCase(testDescription: "gty password, sub == client_id", gty: "password", appOnly: true, accepted: false),
        GrantCase(testDescription: "gty authorization_code", gty: "authorization_code", appOnly: true, accepted: false),
        GrantCase(testDescription: "gty in another case", gty: "Client_Credentials", appOnly: true, accepted: false),
        GrantCase(testDescription: "gty a number", gty: 1, appOnly: true, accepted: false),
        GrantCase(testDescription: "gty an array", gty: .array(["client_credentials"]), appOnly: true, accepted: false),
        GrantCase(testDescription: "gty password, appOnly false", gty: "password", appOnly: false, accepted: true),
    ]

    @Test("RFC 9068 app-only: gty, when present, must be client_credentials", arguments: grants)
    func grantType(_ testCase: GrantCase) async throws {
        let validator = TokenValidator(
            policy: Self.rfc9068Policy(appOnly: testCase.appOnly),
            keys: try TestJWKS.unscoped()
        )
        let token = Self.rfc9068 { $0["gty"] = testCase.gty }
        if testCase.accepted {
            let principal = try await validator.validate(token)
            #expect(principal.callerApplication == Self.client)
        } else {
            await expectRejection(.notAppOnly) { try await validator.validate(token) }
        }
    }
}
