import Foundation
import TesseraTestSupport
import Testing

/// The built `tessera` binary, which Scripts/test.sh exports as TESSERA_BIN (tests never invoke the package manager).
@Suite(
    "tessera CLI (built binary)",
    .enabled(if: ProcessInfo.processInfo.environment["TESSERA_BIN"] != nil || Peers.isCI)
)
struct CLITests {
    var binary: String {
        ProcessInfo.processInfo.environment["TESSERA_BIN"] ?? "TESSERA_BIN is not set: run Scripts/test.sh"
    }

    @Test("token from the AZURE_* environment prints the token; the secret never reaches the output")
    func token() async throws {
        try await TestTokenServer.daemon().run { server in
            let output = try await Peers.runAsync(
                binary,
                ["token", "--scope", "https://graph.microsoft.com/.default", "--log-level", "trace"],
                environment: [
                    "AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID, "AZURE_CLIENT_SECRET": testSecret,
                    "AZURE_AUTHORITY_HOST": server.baseURL,
                ]
            )
            #expect(output.hasPrefix("test-token-"))
            #expect(!output.contains(testSecret))
        }
    }

    @Test("token with a PEM certificate from AZURE_CLIENT_CERTIFICATE_PATH, as JSON")
    func certificateJSON() async throws {
        try await TestTokenServer.daemon().run { server in
            let output = try await Peers.runAsync(
                binary,
                ["token", "--json"],
                environment: [
                    "AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID,
                    "AZURE_AUTHORITY_HOST": server.baseURL,
                    "AZURE_CLIENT_CERTIFICATE_PATH": TestPKI.shared.path("bundle.pfx"),
                    "AZURE_CLIENT_CERTIFICATE_PASSWORD": TestPKI.password,
                ]
            )
            let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
            #expect(json?["expiresIn"] as? Int == 3599)
            #expect((json?["accessToken"] as? String)?.hasPrefix("test-token-") == true)
            #expect(server.tokenRequests.first?.assertionHeader?["alg"] == "PS256")
        }
    }

    @Test("a wrong secret exits 1 with the AADSTS code and fix on stderr, never the secret")
    func wrongSecret() async throws {
        try await TestTokenServer.daemon().run { server in
            do {
                try await Peers.runAsync(
                    binary,
                    ["token", "--log-level", "trace"],
                    environment: [
                        "AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID,
                        "AZURE_CLIENT_SECRET": "Wrong-canary-9f8e",
                        "AZURE_AUTHORITY_HOST": server.baseURL,
                    ]
                )
                Issue.record("exited 0")
            } catch let error as Peers.PeerError {
                #expect(error.description.contains("exited 1"))
                #expect(error.description.contains("AADSTS7000215"))
                #expect(!error.description.contains("Wrong-canary-9f8e"))
            }
        }
    }

    @Test("tessera demo runs the whole scenario, single and multi-tenant", arguments: [[], ["--multi-tenant"]])
    func demo(arguments: [String]) async throws {
        let output = try await Peers.runAsync(binary, ["demo"] + arguments)
        #expect(output.contains("acquire an app-only token (client credentials, PS256 assertion)"))
        #expect(output.contains("roles User.Read.All"))
        #expect(output.contains("Adele Vance"))
        #expect(output.contains("source: cache (same token: yes"))
        #expect(output.contains("Lidia Holloway") == !arguments.isEmpty)
        #expect(!output.contains("PRIVATE KEY"))
        #expect(!output.contains("eyJ"), "no token material in the report")
    }

    @Test("every command logs to stderr at the chosen level and format; at trace no secret or token appears")
    func logging() async throws {
        try await TestTokenServer.daemon().run { server in
            let both = try await Peers.runAsync(
                "/bin/sh",
                ["-c", "\"$0\" \"$@\" 2>&1", binary, "token", "--log-level", "trace", "--log-format", "json"],
                environment: [
                    "AZURE_TENANT_ID": tenantID, "AZURE_CLIENT_ID": daemonClientID, "AZURE_CLIENT_SECRET": testSecret,
                    "AZURE_AUTHORITY_HOST": server.baseURL,
                ]
            )
            let lines = both.split(separator: "\n")
            let token = try #require(lines.last.map(String.init))
            let logLines = lines.dropLast()
            #expect(logLines.count >= 2)
            for line in logLines {
                #expect(
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil,
                    "a JSON log line: \(line.prefix(80))"
                )
                #expect(!line.contains(testSecret))
                #expect(!line.contains(token))
            }
        }
        do {
            _ = try await Peers.runAsync(binary, ["decode", "x.y.z", "--log-format", "xml"])
            Issue.record("accepted")
        } catch let error as Peers.PeerError {
            #expect(error.description.contains("exited 2"))
            #expect(error.description.contains("must be text or json"))
        }
    }

    @Test("a missing setting names the variable and an example")
    func missingSetting() async {
        do {
            try await Peers.runAsync(
                binary,
                ["token"],
                environment: ["AZURE_TENANT_ID": "", "AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": ""]
            )
            Issue.record("exited 0")
        } catch let error as Peers.PeerError {
            #expect(error.description.contains("azure.tenantId is not set: looked in --tenant, AZURE_TENANT_ID"))
        } catch {
            Issue.record("\(error)")
        }
    }
}
