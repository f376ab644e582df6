import Foundation
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing
import X509

@Suite("Emulator: the development CA vouches only for localhost, for a year")
struct DevelopmentCATests {
    static func check(authority: Certificate, server: SigningCertificate) throws {
        let constraint = try #require(authority.extensions[oid: .X509ExtensionID.nameConstraints])
        #expect(constraint.critical, "a critical extension: a client that cannot apply it must refuse the CA")
        let names = try #require(try authority.extensions.nameConstraints)
        #expect(Array(names.permittedDNSDomains) == ["localhost"])
        // No IP subtree: swift-nio-ssl's BoringSSL refuses any certificate with an IP address under one.
        #expect(names.permittedIPRanges.isEmpty)
        #expect(names.excludedSubtrees.isEmpty)
        #expect(try authority.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let year = authority.notValidAfter.timeIntervalSince(authority.notValidBefore)
        #expect(year <= 365 * 86_400 + 300, "the CA lasts a year")

        let leaf = server.leaf
        #expect(leaf.issuer == authority.subject)
        #expect(leaf.notValidBefore >= authority.notValidBefore)
        #expect(leaf.notValidAfter <= authority.notValidAfter, "the server certificate ends within the CA")
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) <= 397 * 86_400 + 300)
    }

    @Test("the generated CA is name-constrained (critical) to DNS localhost, lasts a year; TLS works")
    func generated() async throws {
        try await withEmulator { emulator in
            let caFile = try #require(emulator.caFile)
            let authority = try Certificate(pemEncoded: try String(contentsOfFile: caFile, encoding: .utf8))
            let server = try SigningCertificate.load(path: emulator.stateDirectory + "/server.pem")
            try Self.check(authority: authority, server: server)
            // Served over the constrained chain: BoringSSL (AsyncHTTPClient) accepted it for localhost.
            let document = try await fetchJSON(emulator, path: "/common/v2.0/.well-known/openid-configuration")
            #expect(document["issuer"] != nil)
        }
    }

    @Test("a CA with under 30 days left is replaced by a constrained one, and the server certificate with it")
    func renewed() async throws {
        let folder = try EmulatorKeys.stateDirectory()
        let old = try CertificateFactory.certificateAuthority(commonName: "old development CA", days: 10)
        let oldPEM = try old.leaf.serializeAsPEM().pemString + "\n"
        try oldPEM.write(toFile: folder + "/ca.pem", atomically: true, encoding: .utf8)
        try SecretFile.write(Array((old.privateKeyPEM + "\n").utf8), to: folder + "/ca-key.pem")
        var options = Emulator.Options()
        options.stateDirectory = folder
        let emulator = try await Emulator.start(EmulatorFixture.model, options: options)
        do {
            let text = try String(contentsOfFile: folder + "/ca.pem", encoding: .utf8)
            #expect(text != oldPEM)
            let authority = try Certificate(pemEncoded: text)
            try Self.check(authority: authority, server: try SigningCertificate.load(path: folder + "/server.pem"))
            _ = try await fetchJSON(emulator, path: "/common/v2.0/.well-known/openid-configuration")
        } catch {
            await emulator.stop()
            throw error
        }
        await emulator.stop()
    }
}
