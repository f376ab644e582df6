import AsyncHTTPClient
import Foundation
import NIOSSL
import TesseraTestSupport
import Testing

@testable import TesseraJOSE

@Suite("System trust roots: OpenSSL's hashed folder, each anchor read when a chain names it")
struct SystemTrustRootsTests {
    @Test(
        "c_rehash's certificate link names",
        arguments: [
            ("d6325660.0", true), ("002c0b4f.12", true), ("d6325660.r0", false), ("ca-certificates.crt", false),
            ("D6325660.0", false), ("d632566.0", false), ("d6325660.", false), ("d6325660x0", false),
        ]
    )
    func hashedLinkName(_ name: String, _ expected: Bool) {
        #expect(SystemTrustRoots.isHashedLinkName(name) == expected)
    }

    @Test("a folder holding hashed links is read as one; a folder without them, or none, is NIOSSL's default")
    func folderOrDefault() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(SystemTrustRoots.roots(directory: folder + "/missing", bundle: nil) == .default)
        #expect(SystemTrustRoots.roots(directory: folder, bundle: nil) == .default)
        try "x".write(toFile: folder + "/ca-bundle.crt", atomically: true, encoding: .utf8)
        #expect(SystemTrustRoots.roots(directory: folder, bundle: nil) == .default)
        try "x".write(toFile: folder + "/0123abcd.0", atomically: true, encoding: .utf8)
        #expect(SystemTrustRoots.roots(directory: folder, bundle: nil) == .file(folder))
    }

    static func pem(_ body: String) -> String {
        "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n"
    }

    @Test(
        "the folder only when every certificate of the bundle is among its linked ones",
        arguments: [
            ("the bundle is the linked certificates", [pem("QUJD"), pem("REVG")], true),
            ("a bundle of fewer, in another order and wrapping", [pem("RE\nVG")], true),
            ("a certificate appended to the bundle", [pem("QUJD"), pem("REVG"), pem("R0hJ")], false),
            ("a bundle mounted over with others", [pem("SktM")], false),
            ("text before the first certificate", ["# corporate CA\n" + pem("SktM")], false),
            ("text before linked certificates", ["# system roots\n" + pem("QUJD")], true),
        ]
    )
    func bundleCoverage(_ name: String, _ bundleCertificates: [String], _ folderChosen: Bool) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.pem("QUJD").write(toFile: folder + "/0123abcd.0", atomically: true, encoding: .utf8)
        try Self.pem("REVG").write(toFile: folder + "/4567cdef.0", atomically: true, encoding: .utf8)
        let bundle = folder + "/ca-certificates.crt"
        try bundleCertificates.joined().write(toFile: bundle, atomically: true, encoding: .utf8)
        #expect(SystemTrustRoots.roots(directory: folder, bundle: bundle) == (folderChosen ? .file(folder) : .default))
        #expect(SystemTrustRoots.roots(directory: folder, bundle: folder + "/unreadable") == .default)
    }

    @Test(
        "over the folder, a chain to an anchor in it verifies and a chain to another is refused",
        .enabled(if: Peers.available("openssl"))
    )
    func handshake() async throws {
        let pki = TestPKI.shared
        let ca = TransportTests.serverTLS.ca
        let hash = try OpenSSL.output(["x509", "-subject_hash", "-noout", "-in", ca], in: pki.directory)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let trusting = try Self.folder()
        let other = try Self.folder()
        defer {
            try? FileManager.default.removeItem(atPath: trusting)
            try? FileManager.default.removeItem(atPath: other)
        }
        try FileManager.default.copyItem(atPath: ca, toPath: trusting + "/\(hash).0")
        // Another CA under the same link name: the lookup finds a file by the hash, and its anchor is not the chain's.
        try OpenSSL.run(
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=another test CA",
                "-keyout", "other.key", "-out", "\(hash).0",
            ],
            in: other
        )
        let (trusted, refused) = try await TestTokenServer.daemon().run(tls: TransportTests.serverTLS.configuration) {
            server in
            (
                try await Self.handshakes(server.baseURL, folder: trusting),
                try await !Self.handshakes(server.baseURL, folder: other)
            )
        }
        #expect(trusted, "the anchor found by its hash verifies the chain")
        #expect(refused, "another certificate under the same hash is no anchor for it")
    }

    /// Whether an HTTPS request over `folder`'s anchors alone gets an answer (any status) rather than a TLS error.
    static func handshakes(_ url: String, folder: String) async throws -> Bool {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = SystemTrustRoots.roots(directory: folder, bundle: nil)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool.retryConnectionEstablishment = false  // the TLS error at once, not a deadline
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let answered: Bool
        do {
            _ = try await client.execute(HTTPClientRequest(url: url + "/"), timeout: .seconds(10))
            answered = true
        } catch let error as NIOSSLError {
            guard case .handshakeFailed = error else {
                try await client.shutdown()
                throw error
            }
            answered = false
        }
        try await client.shutdown()
        return answered
    }

    static func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "tessera-roots-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}
