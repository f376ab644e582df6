import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing
import _CryptoExtras

@Suite(
    "Workload identity federation end to end: an external issuer's token as the client assertion (emulator verifies via discovery/JWKS)"
)
struct WorkloadIdentityTests {
    static let subject = WorkloadFixture.subject

    static func model(issuer: String, audiences: [String]? = nil) -> DirectoryModel {
        WorkloadFixture.model(issuer: issuer, audiences: audiences)
    }

    func tokenFile(_ token: String) throws -> String { try WorkloadFixture.tokenFile(token) }

    @Test("AZURE_FEDERATED_TOKEN_FILE's token gets an app token; the file is read again when the kubelet replaces it")
    func federated() async throws {
        try await WorkloadIssuer().run { issuer in
            try await withEmulator(model: Self.model(issuer: issuer.issuer)) { emulator in
                let file = try tokenFile(try await issuer.token(subject: Self.subject))
                defer { unlink(file) }
                try await withClient(try emulatorClient(emulator, credential: ClientAssertionCredential(file: file))) {
                    client in
                    let token = try await client.identityProvider.token(scope: "api://reports/.default")
                    let claims = try claims(of: token.token)
                    #expect(claims["azp"]?.stringValue == EmulatorFixture.daemon)
                    #expect(claims["roles"] == .array(["Reports.Read.All"]))
                    try (try await issuer.token(subject: Self.subject, issuedAgo: 1)).write(
                        toFile: file,
                        atomically: true,
                        encoding: .utf8
                    )
                    _ = try await client.identityProvider.token(scope: "api://reports/.default")
                }
            }
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let aadsts: Int
        let token: @Sendable (WorkloadIssuer) async throws -> String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "another subject → 700213", aadsts: 700_213) {
            try await $0.token(subject: "system:serviceaccount:payroll:intruder")
        },
        Case(name: "another audience → 700212", aadsts: 700_212) {
            try await $0.token(subject: subject, audience: "api://something-else")
        },
        Case(name: "an untrusted issuer → 700211", aadsts: 700_211) {
            try await $0.token(subject: subject, issuer: "https://oidc.untrusted.example")
        },
        Case(name: "expired → 700024", aadsts: 700_024) {
            try await $0.token(subject: subject, lifetime: 600, issuedAgo: 3600)
        },
        Case(name: "signed by another key under the issuer's kid → 50013", aadsts: 50013) {
            try await $0.token(subject: subject, signingKey: try _RSA.Signing.PrivateKey(keySize: .bits2048))
        },
    ]

    @Test("Entra's errors, mapped with advice", arguments: cases)
    func rejected(_ test: Case) async throws {
        try await WorkloadIssuer().run { issuer in
            try await withEmulator(model: Self.model(issuer: issuer.issuer)) { emulator in
                let assertion = try await test.token(issuer)
                try await withClient(
                    try emulatorClient(emulator, credential: ClientAssertionCredential(assertion: assertion))
                ) { client in
                    let error = await expectIdentityError {
                        _ = try await client.identityProvider.token(scope: "api://reports/.default")
                    }
                    #expect(error?.aadstsCode == test.aadsts)
                    #expect(error?.code == .invalidClient)
                    #expect(error.map { "\($0)".contains(assertion) } == false)
                }
            }
        }
    }

    @Test("an issuer whose discovery cannot be fetched → 50166; an app without federated credentials → 70021")
    func unreachableAndUnconfigured() async throws {
        let closed = "http://127.0.0.1:\(try Peers.freePort())"
        try await WorkloadIssuer().run { issuer in
            try await withEmulator(model: Self.model(issuer: closed)) { emulator in
                let assertion = try await issuer.token(subject: Self.subject, issuer: closed)
                try await withClient(
                    try emulatorClient(emulator, credential: ClientAssertionCredential(assertion: assertion))
                ) { client in
                    let error = await expectIdentityError {
                        _ = try await client.identityProvider.token(scope: "api://reports/.default")
                    }
                    #expect(error?.aadstsCode == 50166)
                }
            }
            try await withEmulator(model: EmulatorFixture.model) { emulator in
                let assertion = try await issuer.token(subject: Self.subject)
                try await withClient(
                    try emulatorClient(emulator, credential: ClientAssertionCredential(assertion: assertion))
                ) { client in
                    let error = await expectIdentityError {
                        _ = try await client.identityProvider.token(scope: "api://reports/.default")
                    }
                    #expect(error?.aadstsCode == 70021)
                    #expect(error?.message.contains("federated identity credential") == true)
                }
            }
        }
    }
}
