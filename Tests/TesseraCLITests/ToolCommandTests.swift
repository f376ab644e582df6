import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite(
    "tessera decode, cert, consent-url (built binary)",
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI)
)
struct ToolCommandTests {
    var binary: String {
        ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
    }

    @Test("cert new writes PEM and PFX whose thumbprints match openssl's; cert thumbprint reads both")
    func cert() async throws {
        let folder = NSTemporaryDirectory() + "tessera-cert-" + UUID().uuidString.prefix(8)
        let output = try await Peers.runAsync(
            binary,
            ["cert", "new", "--subject", "CN=contoso-daemon", "--days", "30", "--out", folder, "--pfx-password", "pw"]
        )
        let sha1 = try OpenSSL.output(
            ["x509", "-in", folder + "/cert.pem", "-noout", "-fingerprint", "-sha1"],
            in: folder
        )
        .split(separator: "=").last!.replacingOccurrences(of: ":", with: "").trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        #expect(output.contains("Thumbprint (SHA-1):   \(sha1)"))
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/key.pem")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let fromPFX = try await Peers.runAsync(
            binary,
            ["cert", "thumbprint", folder + "/daemon.pfx", "--password", "pw"]
        )
        #expect(fromPFX.contains("SHA-1:    \(sha1)"))
        // The generated files work as a credential.
        let credential = try ClientCertificateCredential.load(path: folder + "/daemon.pfx", password: "pw")
        #expect(credential.certificate.thumbprint.sha1Hex == sha1)
    }

    @Test("PFX passwords from a file or standard input, never needed on the command line; --help says so")
    func passwordsOffTheCommandLine() async throws {
        let folder = NSTemporaryDirectory() + "tessera-cert-pw-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SecretFile.write(Array("canary-pfx-pass\n".utf8), to: folder + "/pw")
        let created = try await Peers.runAsync(
            binary,
            ["cert", "new", "--subject", "CN=pw", "--out", folder, "--pfx-password-file", folder + "/pw"]
        )
        let credential = try ClientCertificateCredential.load(path: folder + "/daemon.pfx", password: "canary-pfx-pass")
        #expect(created.contains(credential.certificate.thumbprint.sha1Hex))
        let fromStdin = try await Peers.runAsync(
            "/bin/sh",
            [
                "-c", "printf 'canary-pfx-pass\\n' | exec \"$0\" cert thumbprint \"$1\" --password -", binary,
                folder + "/daemon.pfx",
            ]
        )
        #expect(fromStdin.contains("SHA-1:    \(credential.certificate.thumbprint.sha1Hex)"))
        let fromFile = try await Peers.runAsync(
            binary,
            ["cert", "thumbprint", folder + "/daemon.pfx", "--password-file", folder + "/pw"]
        )
        #expect(fromFile.contains(credential.certificate.thumbprint.sha1Hex))
        // A Windows line ending is dropped whole (one Swift Character, two bytes): the password keeps its last letter.
        try SecretFile.write(Array("canary-pfx-pass\r\n".utf8), to: folder + "/pw-crlf")
        let fromCRLF = try await Peers.runAsync(
            binary,
            ["cert", "thumbprint", folder + "/daemon.pfx", "--password-file", folder + "/pw-crlf"]
        )
        #expect(fromCRLF.contains(credential.certificate.thumbprint.sha1Hex))
        try SecretFile.write(Array("\r\n".utf8), to: folder + "/pw-empty")
        _ = try await Peers.runAsync(
            binary,
            [
                "cert", "new", "--subject", "CN=empty", "--out", folder + "/empty", "--pfx-password-file",
                folder + "/pw-empty",
            ]
        )
        _ = try ClientCertificateCredential.load(path: folder + "/empty/daemon.pfx", password: "")
        await #expect(throws: Peers.PeerError.self) {
            try await Peers.runAsync(
                binary,
                ["cert", "thumbprint", folder + "/daemon.pfx", "--password", "x", "--password-file", folder + "/pw"]
            )
        }
        func flat(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let help = flat(try await Peers.runAsync(binary, ["cert", "new", "--help"]))
        #expect(help.contains("--pfx-password-file") && help.contains("standard input"))
        #expect(flat(try await Peers.runAsync(binary, ["decode", "--help"])).contains("standard input"))
    }

    @Test(
        "cert new under umask 000: the key, combined PEM and PFX are 0600, the certificate 0644; under umask 277 it fails naming the mode"
    )
    func certificateFileModes() async throws {
        let folder = NSTemporaryDirectory() + "tessera-cert-umask-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = try await Peers.runAsync(
            "/bin/sh",
            ["-c", "umask 000 && exec \"$0\" cert new --subject CN=umask --out \"$1\"", binary, folder]
        )
        func mode(_ name: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)
            return ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
        }
        #expect(try mode("key.pem") == 0o600)
        #expect(try mode("combined.pem") == 0o600)
        #expect(try mode("daemon.pfx") == 0o600)
        #expect(try mode("cert.pem") == 0o644)
        let strict = folder + "/strict"
        try FileManager.default.createDirectory(atPath: strict, withIntermediateDirectories: true)
        do {
            _ = try await Peers.runAsync(
                "/bin/sh",
                ["-c", "umask 277 && exec \"$0\" cert new --subject CN=umask --out \"$1\"", binary, strict]
            )
            Issue.record("a key file the owner cannot write back was accepted")
        } catch let error as Peers.PeerError {
            #expect(error.description.contains("gets mode 400, not 600"), "\(error)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: strict) == ["cert.pem"], "no key, no temporary")
        }
    }

    @Test("decode shows dates and warnings")
    func decode() async throws {
        let claims: [String: JSONValue] = ["aud": "https://graph.microsoft.com", "exp": 1000, "scp": "User.Read"]
        let token = TestIssuer.encode(["alg": "RS256", "typ": "JWT"]) + "." + TestIssuer.encode(claims) + ".c2ln"
        let output = try await Peers.runAsync(binary, ["decode", token])
        #expect(output.contains("exp: 1000  (1970-01-01T00:16:40Z)"))
        #expect(output.contains("- expired"))
        #expect(output.contains("user (delegated) token"))
        #expect(output.contains("not meant to be validated by third parties"))
        await #expect(throws: Peers.PeerError.self) { try await Peers.runAsync(binary, ["decode", "not-a-token"]) }
    }

    @Test("call follows every page against the emulator's Graph-like API; an API error exits 1 with its message")
    func call() async throws {
        var model = EmulatorFixture.model
        model.tenants[0].users = (1...5).map {
            .init(id: "u\($0)", displayName: "User \($0)", userPrincipalName: "user\($0)@contoso.example")
        }
        let emulator = try await EmulatorKeys.start(model)
        let environment = [
            "AZURE_TENANT_ID": EmulatorFixture.contoso, "AZURE_CLIENT_ID": EmulatorFixture.daemon,
            "AZURE_CLIENT_SECRET": EmulatorFixture.secret,
            "AZURE_AUTHORITY_HOST": emulator.baseURL, "TESSERA_CA_FILE": emulator.caFile!,
        ]
        let output = try await Peers.runAsync(
            binary,
            ["call", "GET", emulator.baseURL + "/v1.0/users?$top=2", "--all-pages"],
            environment: environment
        )
        let values = try StrictJSON.parseObject(Array(output.utf8))["value"]?.arrayValue ?? []
        #expect(values.compactMap { $0["displayName"]?.stringValue } == (1...5).map { "User \($0)" })
        // The same through a DownstreamApis entry of appsettings.json (BaseUrl + RelativePath + Scopes).
        let config = NSTemporaryDirectory() + "tessera-downstream-" + UUID().uuidString.prefix(8) + ".json"
        try
            #"{"DownstreamApis": {"Graph": {"BaseUrl": "\#(emulator.baseURL)/v1.0/", "RelativePath": "users?$top=2", "Scopes": ["https://graph.microsoft.com/.default"], "RequestAppToken": true}}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let viaAPI = try await Peers.runAsync(
            binary,
            ["call", "GET", "-", "--api", "graph", "--config", config, "--all-pages"],
            environment: environment
        )
        #expect(try StrictJSON.parseObject(Array(viaAPI.utf8))["value"]?.arrayValue?.count == 5)
        do {
            _ = try await Peers.runAsync(
                binary,
                ["call", "GET", "-", "--api", "nope", "--config", config],
                environment: environment
            )
            Issue.record("unknown API accepted")
        } catch let error as Peers.PeerError {
            #expect(error.description.contains("DownstreamApis.nope is not in"))
        }
        do {
            _ = try await Peers.runAsync(
                binary,
                ["call", "GET", emulator.baseURL + "/v1.0/users", "--scope", "api://reports/.default"],
                environment: environment
            )
            Issue.record("accepted a token for another API")
        } catch let error as Peers.PeerError {
            #expect(error.description.contains("exited 1"))
            #expect(
                error.description.contains("refused (401)") && error.description.contains("InvalidAuthenticationToken")
            )
        }
        await emulator.stop()
    }

    @Test("consent-url prints the link; a bad tenant is a usage error (exit 2)")
    func consentURL() async throws {
        let output = try await Peers.runAsync(
            binary,
            [
                "consent-url", "--tenant", "organizations", "--client-id", "abc", "--redirect-uri",
                "https://localhost/consent-done",
            ]
        )
        #expect(
            output.trimmingCharacters(in: .whitespacesAndNewlines)
                == "https://login.microsoftonline.com/organizations/adminconsent?client_id=abc&redirect_uri=https%3A%2F%2Flocalhost%2Fconsent-done"
        )
        do {
            _ = try await Peers.runAsync(
                binary,
                ["consent-url", "--tenant", "../x", "--client-id", "abc", "--redirect-uri", "https://localhost/"]
            )
            Issue.record("accepted")
        } catch let error as Peers.PeerError {
            #expect(error.description.contains("exited 2"))
        }
    }
}
