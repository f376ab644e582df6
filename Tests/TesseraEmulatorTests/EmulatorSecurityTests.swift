import AsyncHTTPClient
import Foundation
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

/// Security review (issue 15): certificate validity, empty secrets, the identity header's comparison, byte-exact
/// federated matching.
@Suite("Emulator: the review's credential checks")
struct EmulatorSecurityTests {
    static let tokenPath = "/\(EmulatorFixture.contoso)/oauth2/v2.0/token"

    /// The answer's first AADSTS code and its description (`nil` code: a token was issued).
    static func outcome(_ answer: RawAnswer) throws -> (code: Int64?, description: String) {
        let body = try StrictJSON.parseObject(answer.body)
        if answer.status == 200, body["access_token"] != nil { return (nil, "") }
        return (
            body["error_codes"]?.arrayValue?.first?.integerValue, body["error_description"]?.stringValue ?? ""
        )
    }

    // MARK: 1. Registered certificates outside their validity

    struct Validity: Sendable, CustomTestStringConvertible {
        let name: String
        let days: Int
        /// Where the certificate's `now` is, from the real one.
        let shift: TimeInterval
        let says: String
        var testDescription: String { name }
    }

    static let validity = [
        Validity(name: "created already expired (notAfter 2 days ago)", days: 1, shift: -3 * 86_400, says: "expired"),
        Validity(name: "not yet valid (notBefore in 2 days)", days: 30, shift: 2 * 86_400, says: "not yet valid"),
    ]

    @Test(
        "an assertion signed by a registered certificate outside its validity → invalid_client AADSTS700027, naming it",
        arguments: validity
    )
    func certificateValidity(_ validity: Validity) async throws {
        let certificate = try CertificateFactory.selfSigned(
            commonName: "tessera validity test",
            days: validity.days,
            now: Date().addingTimeInterval(validity.shift)
        )
        var model = EmulatorFixture.model
        model.applications[0].certificates = [.init(pem: try certificate.leaf.serializeAsPEM().pemString)]
        try await withEmulator(model: model) { emulator in
            let now = Date().timeIntervalSince1970
            var header = JWSHeader()
            header.x5tS256 = certificate.thumbprint.x5tS256
            let assertion = try await JWSSigner(privateKey: certificate.privateKey, algorithm: .ps256).sign(
                claims: [
                    "aud": .string(emulator.baseURL + Self.tokenPath), "iss": .string(EmulatorFixture.daemon),
                    "sub": .string(EmulatorFixture.daemon), "jti": .string(UUID().uuidString),
                    "iat": .number(now), "nbf": .number(now), "exp": .number(now + 600),
                ],
                header: header
            )
            let answer = try await post(
                emulator,
                path: Self.tokenPath,
                form: [
                    "grant_type": "client_credentials", "client_id": EmulatorFixture.daemon,
                    "scope": "api://reports/.default",
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion": assertion,
                ]
            )
            let (code, description) = try Self.outcome(answer)
            #expect(answer.status == 401)
            #expect(code == 700027, "\(description)")
            #expect(String(decoding: answer.body, as: UTF8.self).contains("\"error\":\"invalid_client\""))
            #expect(description.hasPrefix("AADSTS700027: "))
            #expect(description.contains("is \(validity.says) (notBefore "))
            #expect(description.contains(certificate.thumbprint.sha1Hex))
            #expect(description.contains("Register a current certificate for application '\(EmulatorFixture.daemon)'"))
        }
    }

    // MARK: 6. Empty client secrets

    struct EmptySecret: Sendable, CustomTestStringConvertible {
        let name: String
        let value: String
        var testDescription: String { name }
    }

    static let emptySecrets = [
        EmptySecret(name: "an empty secret", value: ""), EmptySecret(name: "a secret of spaces", value: "  \t"),
    ]

    @Test(
        "an empty registered secret is refused when the directory is loaded, naming the app and the fix",
        arguments: emptySecrets
    )
    func emptySecretInDirectory(_ secret: EmptySecret) async throws {
        var model = EmulatorFixture.model
        model.applications[0].secrets.append(.init(value: secret.value))
        do {
            let emulator = try await EmulatorKeys.start(model)
            await emulator.stop()
            Issue.record("an emulator started with \(secret.name) registered")
        } catch let error as EmulatorError {
            #expect(error.description.contains("application '\(EmulatorFixture.daemon)' (daemon)"))
            #expect(error.description.contains("empty client secret (secrets[2])"))
            #expect(error.description.contains("give it a value, or remove it"))
        }
    }

    @Test(
        "the admin API refuses an app or a secret with an empty value (400, naming the app); nothing changes",
        arguments: emptySecrets
    )
    func emptySecretThroughAdmin(_ secret: EmptySecret) async throws {
        try await withEmulator { emulator in
            let client = "12121212-3434-5656-7878-909090909090"
            let value = secret.value.replacingOccurrences(of: "\t", with: "\\t")
            let app =
                #"{"clientId":"\#(client)","displayName":"blank","homeTenant":"\#(EmulatorFixture.contoso)","#
                + #""secrets":[{"value":"\#(value)"}]}"#
            let added = try await post(emulator, path: "/admin/applications", json: app, adminKey: emulator.adminKey)
            let addedText = String(decoding: added.body, as: UTF8.self)
            #expect(added.status == 400, "\(addedText)")
            #expect(addedText.contains(client) && addedText.contains("empty client secret"))
            let appended = try await post(
                emulator,
                path: "/admin/applications/\(EmulatorFixture.daemon)/secrets",
                json: #"{"value":"\#(value)"}"#,
                adminKey: emulator.adminKey
            )
            #expect(appended.status == 400)
            #expect(String(decoding: appended.body, as: UTF8.self).contains(EmulatorFixture.daemon))

            var read = HTTPClientRequest(url: emulator.baseURL + "/admin/directory")
            read.headers.add(name: "Authorization", value: "Bearer \(emulator.adminKey)")
            let snapshot = String(decoding: try await send(emulator, read).body, as: UTF8.self)
            #expect(!snapshot.contains(client), "the app was not added")
            let empty = try await post(
                emulator,
                path: Self.tokenPath,
                form: [
                    "grant_type": "client_credentials", "client_id": EmulatorFixture.daemon, "client_secret": "",
                    "scope": "api://reports/.default",
                ]
            )
            #expect(try Self.outcome(empty).code == 7_000_215, "an empty client_secret never authenticates")
        }
    }

    // MARK: 4. The App Service identity header, compared in constant time

    struct Comparison: Sendable, CustomTestStringConvertible {
        let name: String
        let presented: String
        let expected: String
        let equal: Bool
        var testDescription: String { name }
    }

    static let held = "K-secret-1"

    static let comparisons = [
        Comparison(name: "the same bytes", presented: "K-secret-1", expected: "K-secret-1", equal: true),
        Comparison(name: "both empty", presented: "", expected: "", equal: true),
        Comparison(name: "same length, last byte differs", presented: "K-secret-2", expected: held, equal: false),
        Comparison(name: "same length, first byte differs", presented: "X-secret-1", expected: held, equal: false),
        Comparison(name: "a prefix", presented: "K-secret-", expected: held, equal: false),
        Comparison(name: "longer", presented: "K-secret-10", expected: held, equal: false),
        Comparison(name: "empty", presented: "", expected: held, equal: false),
        Comparison(
            name: "a Kelvin sign for the K (== says equal)",
            presented: "\u{212A}-secret-1",
            expected: held,
            equal: false
        ),
    ]

    @Test("ConstantTime.equals compares UTF-8 bytes", arguments: comparisons)
    func constantTime(_ comparison: Comparison) {
        #expect(ConstantTime.equals(comparison.presented, comparison.expected) == comparison.equal)
    }

    static let identityHeader = "K-identity-header-0123456789"

    static let headers: [(String, String?, Int)] = [
        ("the right header", identityHeader, 200),
        ("a wrong header of the same length", "K-identity-header-0123456780", 400),
        ("a shorter header", "K-identity-header", 400),
        ("a longer header", identityHeader + "0", 400),
        ("a Kelvin sign for the K", "\u{212A}-identity-header-0123456789", 400),
        ("no header", nil, 400),
    ]

    @Test("/msi/token takes only the exact X-IDENTITY-HEADER", arguments: headers)
    func identityHeaderCheck(name: String, header: String?, status: Int) async throws {
        try await withEmulator(
            model: ManagedIdentityFixture.model(),
            configure: { $0.identityHeader = Self.identityHeader }
        ) { emulator in
            var request = HTTPClientRequest(
                url: emulator.baseURL + "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fgraph.microsoft.com"
            )
            if let header { request.headers.add(name: "X-IDENTITY-HEADER", value: header) }
            let answer = try await send(emulator, request)
            #expect(answer.status == status, "\(name): \(String(decoding: answer.body, as: UTF8.self).prefix(200))")
        }
    }

    // MARK: 7. Federated credentials match byte for byte

    struct Federated: Sendable, CustomTestStringConvertible {
        let name: String
        let subject: String
        let audience: String
        let code: Int64?
        var testDescription: String { name }
    }

    static let subject = "repo:contoso/Kiosk:environment:prod"
    static let audience = "api://Kiosk-exchange"

    static let federated = [
        Federated(name: "the registered subject and audience", subject: subject, audience: audience, code: nil),
        Federated(
            name: "a Kelvin sign in the subject → 700213",
            subject: "repo:contoso/\u{212A}iosk:environment:prod",
            audience: audience,
            code: 700_213
        ),
        Federated(
            name: "a Kelvin sign in the audience → 700212",
            subject: subject,
            audience: "api://\u{212A}iosk-exchange",
            code: 700_212
        ),
    ]

    @Test(
        "a federated assertion must carry the credential's subject and audience as the same bytes",
        arguments: federated
    )
    func federatedBytes(_ testCase: Federated) async throws {
        if testCase.code == 700_213 {
            #expect(testCase.subject == Self.subject, "canonically equivalent: Swift's == calls them equal")
        }
        try await WorkloadIssuer().run { issuer in
            var model = EmulatorFixture.model
            model.applications[0].federatedCredentials = [
                .init(name: "kiosk", issuer: issuer.issuer, subject: Self.subject, audiences: [Self.audience])
            ]
            let token = try await issuer.token(subject: testCase.subject, audience: testCase.audience)
            try await withEmulator(model: model) { emulator in
                let answer = try await post(
                    emulator,
                    path: Self.tokenPath,
                    form: [
                        "grant_type": "client_credentials", "client_id": EmulatorFixture.daemon,
                        "scope": "api://reports/.default",
                        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        "client_assertion": token,
                    ]
                )
                let (code, description) = try Self.outcome(answer)
                #expect(code == testCase.code, "\(testCase.name): \(description)")
            }
        }
    }
}
