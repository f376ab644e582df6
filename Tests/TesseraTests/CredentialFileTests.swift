import Foundation
import Tessera
import TesseraTestSupport
import Testing

/// What a credential file that disappears after its first use means: a secret or certificate file keeps its last good
/// value (a rotation in progress never breaks a running daemon); a federated token file fails (a stale assertion would
/// only be refused by the identity provider).
@Suite("Credential files: a removed file after the first use")
struct CredentialFileTests {
    static let context = CredentialContext(
        clientID: daemonClientID,
        endpoint: TokenEndpoint(
            url: "https://login.microsoftonline.com/\(tenantID)/oauth2/v2.0/token",
            issuer: "https://login.microsoftonline.com/\(tenantID)/v2.0",
            tenant: tenantID
        ),
        now: Date()
    )

    func temporaryFile(_ content: String) throws -> String {
        let path = NSTemporaryDirectory() + "tessera-credential-file-" + UUID().uuidString.prefix(8)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func field(_ name: String, of credential: some ClientCredential) async throws -> String? {
        try await credential.authentication(for: Self.context).formFields.first { $0.name == name }?.value
    }

    @Test("a secret file keeps its last good value")
    func secretKeepsLastGood() async throws {
        let path = try temporaryFile(testSecret + "\n")
        let credential = try ClientSecretCredential.file(path: path)
        #expect(try await field("client_secret", of: credential) == testSecret)
        try FileManager.default.removeItem(atPath: path)
        #expect(try await field("client_secret", of: credential) == testSecret)
    }

    @Test("a federated token file fails once it is gone, naming the file")
    func assertionFails() async throws {
        let path = try temporaryFile("eyJ.assertion.canary")
        let credential = ClientAssertionCredential(file: path)
        #expect(try await field("client_assertion", of: credential) == "eyJ.assertion.canary")
        try FileManager.default.removeItem(atPath: path)
        let error = await expectIdentityError { _ = try await credential.authentication(for: Self.context) }
        #expect(error?.code == .credentialUnavailable)
        #expect(error?.message.contains(path) == true)
    }
}
