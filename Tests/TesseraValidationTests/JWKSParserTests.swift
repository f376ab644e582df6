import Foundation
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

/// A JWKS member the parser cannot read must not widen a key: an `issuer` that is not a string drops the key (it
/// would otherwise serve every issuer), and a `kid` two RSA keys share names neither (the last one used to win).
@Suite("JWKS parsing: unreadable issuer scopes and duplicate kids refuse the key")
struct JWKSParserTests {
    struct IssuerCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// The `issuer` member, as JSON text; `nil`: absent.
        let json: String?
        /// Whether the key is used.
        let used: Bool
        /// The issuer a used key is scoped to.
        var scope: String? = nil
    }

    static let issuers: [IssuerCase] = [
        IssuerCase(testDescription: "absent: unscoped", json: nil, used: true),
        IssuerCase(
            testDescription: "a string: scoped",
            json: #""https://as.example""#,
            used: true,
            scope: "https://as.example"
        ),
        IssuerCase(testDescription: "a number", json: "42", used: false),
        IssuerCase(testDescription: "true", json: "true", used: false),
        IssuerCase(testDescription: "null", json: "null", used: false),
        IssuerCase(testDescription: "an array of the issuer", json: #"["https://as.example"]"#, used: false),
        IssuerCase(testDescription: "an object", json: #"{"value":"https://as.example"}"#, used: false),
    ]

    /// The JSON text of a JWK of the test key, with `members` (raw JSON text) appended.
    static func jwk(kid: String = "k1", _ members: String = "") -> String {
        let data = try! JSONSerialization.data(withJSONObject: TestJWKS.entry(kid: kid))
        let object = String(decoding: data, as: UTF8.self)
        return members.isEmpty ? object : String(object.dropLast()) + "," + members + "}"
    }

    @Test("a key's issuer member: a string scopes the key, anything else refuses it", arguments: issuers)
    func issuerMember(_ testCase: IssuerCase) throws {
        let text = Self.jwk(testCase.json.map { #""issuer":\#($0)"# } ?? "")
        let key = JWKSParser.key(try StrictJSON.parseObject(Array(text.utf8)), allowed: [.rs256])
        #expect((key != nil) == testCase.used, "\(text)")
        if testCase.used { #expect(key?.issuer == testCase.scope) }
        let parsed = try JWKSParser.parse(Array(#"{"keys":[\#(text)]}"#.utf8), allowed: [.rs256])
        #expect((parsed["k1"] != nil) == testCase.used)
    }

    @Test("a key with a non-string issuer does not verify tokens of any issuer")
    func nonStringIssuerKeyUnused() async throws {
        let keys = try SigningKeySet(jwks: Array(#"{"keys":[\#(Self.jwk(#""issuer":42"#))]}"#.utf8))
        let validator = TokenValidator(policy: HostileTokens.policy(), keys: keys)
        await expectRejection(.unknownKey) { try await validator.validate(TestIssuer.shared.mint()) }
    }

    struct DuplicateCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let jwks: @Sendable () -> [UInt8]
        /// The kids left usable.
        let usable: Set<String>
    }

    static let duplicates: [DuplicateCase] = [
        DuplicateCase(
            testDescription: "two RSA keys share k1 (the real one last); k2 unique",
            jwks: {
                let issuer = TestIssuer.shared
                return TestJWKS.document([
                    TestJWKS.entry(issuer.otherKey), TestJWKS.entry(),
                    TestJWKS.entry(issuer.foreignIssuerKey, kid: "k2"),
                ])
            },
            usable: ["k2"]
        ),
        DuplicateCase(
            testDescription: "the same key twice under k1",
            jwks: {
                TestJWKS.document([TestJWKS.entry(), TestJWKS.entry()])
            },
            usable: []
        ),
        DuplicateCase(
            testDescription: "k1 twice, one of them an encryption key",
            jwks: {
                TestJWKS.document([
                    TestJWKS.entry(), TestJWKS.entry(TestIssuer.shared.otherKey, members: ["use": "enc"]),
                ])
            },
            usable: []
        ),
        DuplicateCase(
            testDescription: "k1 twice, one of them with a non-string issuer",
            jwks: {
                TestJWKS.document([TestJWKS.entry(members: ["issuer": 42]), TestJWKS.entry()])
            },
            usable: []
        ),
        DuplicateCase(
            testDescription: "an RSA and an EC key share k1 (RFC 7517 allows it across kty)",
            jwks: {
                TestJWKS.document([
                    TestJWKS.entry(), ["kty": "EC", "kid": "k1", "crv": "P-256", "x": "AAAA", "y": "AAAA"],
                ])
            },
            usable: ["k1"]
        ),
    ]

    @Test("a kid two RSA keys share names no key; the set's other keys stay usable", arguments: duplicates)
    func duplicateKid(_ testCase: DuplicateCase) throws {
        #expect(Set(try JWKSParser.parse(testCase.jwks(), allowed: [.rs256]).keys) == testCase.usable)
    }

    @Test("a token naming a duplicated kid is refused, saying why, from fixed keys and from a provider")
    func duplicateKidRefused() async throws {
        let jwks = Self.duplicates[0].jwks()
        let fixed = TokenValidator(policy: HostileTokens.policy(), keys: try SigningKeySet(jwks: jwks))
        let provided = TokenValidator(policy: HostileTokens.policy(), keys: SigningKeySet { jwks })
        for validator in [fixed, provided] {
            do {
                _ = try await validator.validate(TestIssuer.shared.mint())
                Issue.record("accepted a token whose kid the JWKS publishes twice")
            } catch {
                #expect(error.reason == .unknownKey)
                #expect(error.explanation.contains("more than once"), "\(error)")
            }
        }
    }

    @Test("kids differing only by the Kelvin sign are two kids: each token gets its own key")
    func kidsComparedByBytes() async throws {
        let issuer = TestIssuer.shared
        let keys = try SigningKeySet(
            jwks: TestJWKS.document([TestJWKS.entry(kid: "K1"), TestJWKS.entry(issuer.otherKey, kid: "\u{212A}1")])
        )
        let validator = TokenValidator(policy: HostileTokens.policy(), keys: keys)
        _ = try await validator.validate(issuer.mint(header: HostileTokens.header { $0["kid"] = "K1" }))
        _ = try await validator.validate(
            issuer.mint(header: HostileTokens.header { $0["kid"] = "\u{212A}1" }, key: issuer.otherKey)
        )
        await expectRejection(.badSignature) {
            try await validator.validate(issuer.mint(header: HostileTokens.header { $0["kid"] = "\u{212A}1" }))
        }
    }
}
