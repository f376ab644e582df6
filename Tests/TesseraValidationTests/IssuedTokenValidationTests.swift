import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

/// Tokens real issuers mint — the emulator (Entra v1 and v2 shapes) — validate with keys fetched over HTTPS by
/// discovery, and every mutation of them fails with the right reason.
@Suite("Validating issued tokens")
struct IssuedTokenValidationTests {
    static func issued(_ emulator: Emulator, scope: String) async throws -> String {
        try await withClient(try emulatorClient(emulator, credential: try certificateCredential())) {
            try await $0.token(scope: scope)
        }.token
    }

    static func validator(_ emulator: Emulator, version: Int, audience: String) -> TokenValidator {
        let template = version == 2 ? "\(emulator.baseURL)/{tenantid}/v2.0" : "\(emulator.baseURL)/{tenantid}/"
        var policy = ValidationPolicy(
            issuer: .multiTenant(template: template, allowedTenants: [EmulatorFixture.contoso]),
            audiences: [audience]
        )
        policy.minimumClientAuthentication = 2
        let discovery =
            "\(emulator.baseURL)/\(EmulatorFixture.contoso)\(version == 2 ? "/v2.0" : "")/.well-known/openid-configuration"
        return TokenValidator(
            policy: policy,
            keys: SigningKeySet(url: discovery, discovery: true, caFile: emulator.caFile)
        )
    }

    @Test("emulator v2 and v1 (Graph) tokens validate; mutations fail with the right reason")
    func emulatorTokens() async throws {
        try await withEmulator { emulator in
            let v2 = try await Self.issued(emulator, scope: "api://reports/.default")
            var validator = Self.validator(emulator, version: 2, audience: EmulatorFixture.api)
            var principal = try await validator.validate(v2)
            #expect(principal.roles == ["Reports.Read.All"])
            #expect(principal.callerApplication == EmulatorFixture.daemon)
            #expect(principal.tenant == EmulatorFixture.contoso)

            let v1 = try await Self.issued(emulator, scope: "https://graph.microsoft.com/.default")
            let graph = Self.validator(emulator, version: 1, audience: "https://graph.microsoft.com")
            principal = try await graph.validate(v1)
            #expect(principal.roles == ["User.Read.All"])
            try await graph.keys.shutdown()

            // Mutations of the v2 token: claims changed without re-signing, or a policy it does not meet.
            let parts = v2.split(separator: ".").map(String.init)
            var claims = try StrictJSON.parseObject(Base64URL.decode(parts[1])!)
            claims["roles"] = .array(["Reports.Read.All", "Reports.Write.All"])
            let tampered = parts[0] + "." + TestIssuer.encode(claims) + "." + parts[2]
            await expectRejection(.badSignature) { try await validator.validate(tampered) }
            await expectRejection(.badAudience) {
                try await Self.validator(emulator, version: 2, audience: "api://other").validate(v2)
            }
            await expectRejection(.badIssuer) { try await graph.validate(v2) }
            var strict = validator.policy
            strict.roles = .allOf(["Reports.Write.All"])
            validator = TokenValidator(policy: strict, keys: validator.keys)
            await expectRejection(.missingRole) { try await validator.validate(v2) }
            var later = validator.policy
            later.now = { Date().addingTimeInterval(7200) }
            await expectRejection(.expired) {
                try await TokenValidator(policy: later, keys: validator.keys).validate(v2)
            }
            try await validator.keys.shutdown()
        }
    }

    @Test("tessera validate (built binary): exit 0 with the principal, 1 with the reason, 2 for usage errors")
    func cli() async throws {
        guard let binary = ProcessInfo.processInfo.environment["TESSERA_BIN"] else {
            if Peers.isCI { Issue.record("TESSERA_BIN is not set") }
            return
        }
        try await withEmulator { emulator in
            let token = try await Self.issued(emulator, scope: "api://reports/.default")
            let common = [
                "--authority", "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0/.well-known/openid-configuration",
                "--issuer", "\(emulator.baseURL)/\(EmulatorFixture.contoso)/v2.0", "--audience", EmulatorFixture.api,
                "--ca-file", emulator.caFile!, "--app-only",
            ]
            let output = try await Peers.runAsync(
                binary,
                ["validate", token] + common + ["--role", "Reports.Read.All"]
            )
            let json = try StrictJSON.parseObject(Array(output.utf8))
            #expect(json["tenant"]?.stringValue == EmulatorFixture.contoso)
            #expect(json["roles"] == .array(["Reports.Read.All"]))
            for (extra, reason) in [
                (["--role", "Reports.Write.All"], "missing_role"), (["--now", "4102444800"], "expired"),
                (["--caller", "someone"], "caller_not_allowed"),
            ] {
                do {
                    _ = try await Peers.runAsync(binary, ["validate", token] + common + extra)
                    Issue.record("accepted with \(extra)")
                } catch let error as Peers.PeerError {
                    #expect(error.description.contains("exited 1"), "\(error)")
                }
                let stdout =
                    (try? await Peers.runAsync(
                        "/bin/sh",
                        ["-c", "\"$0\" \"$@\" || true", binary, "validate", token] + common + extra
                    )) ?? ""
                #expect(stdout.hasPrefix("rejected: \(reason): "), "\(stdout)")
                #expect(!stdout.contains(token.prefix(30)))
            }
            do {
                _ = try await Peers.runAsync(binary, ["validate", token, "--issuer", "x", "--audience", "y"])
                Issue.record("no key source accepted")
            } catch let error as Peers.PeerError {
                #expect(error.description.contains("exited 2"))
            }
            for source in [
                ["--jwks", "http://keys.example/jwks"],
                ["--authority", "http://login.example/.well-known/openid-configuration"],
            ] {
                do {
                    _ = try await Peers.runAsync(
                        binary,
                        ["validate", token, "--issuer", "x", "--audience", "y"] + source
                    )
                    Issue.record("a plain-http key source was accepted: \(source)")
                } catch let error as Peers.PeerError {
                    #expect(error.description.contains("exited 2"))
                    #expect(error.description.contains("is not https"), "\(error)")
                    #expect(error.description.contains("--allow-insecure-key-url"))
                }
            }
        }
    }
}
