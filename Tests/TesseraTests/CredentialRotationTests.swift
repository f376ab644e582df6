import Foundation
import Logging
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("Self-healing credentials: rotation, files reloaded on change, clock skew (emulator, HTTPS)")
struct CredentialRotationTests {
    static let folder = NSTemporaryDirectory() + "tessera-rotation-\(UUID().uuidString.prefix(8))"

    func file(_ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(atPath: Self.folder, withIntermediateDirectories: true)
        let path = Self.folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(
        "a rejected secret (7000215) or expired one (7000222) is passed over for the next credential, which is remembered"
    )
    func rotation() async throws {
        try await withEmulator { emulator in
            let (logger, capture) = capturingLogger()
            let credential = RotatingCredential([
                ClientSecretCredential(secret: "retired~secret-canary"),
                ClientSecretCredential(secret: EmulatorFixture.expiredSecret),
                try certificateCredential(),
            ])
            try await withClient(try emulatorClient(emulator, credential: credential), logger: logger) { client in
                let token = try await client.token(scope: "https://graph.microsoft.com/.default")
                #expect(token.source == .identityProvider)
                #expect(capture.count("credential rejected") == 2)
                #expect(credential.active.index == 2)
                _ = try await client.token(
                    for: TokenRequest(scope: "https://graph.microsoft.com/.default", forceRefresh: true)
                )
                #expect(capture.count("credential rejected") == 2, "the working credential is used first from then on")
            }
            #expect(capture.count("retired~secret-canary") == 0 && capture.count(EmulatorFixture.expiredSecret) == 0)
        }
    }

    @Test("when every credential is rejected: the provider's error, each tried once, no loop")
    func allRejected() async throws {
        try await withEmulator { emulator in
            let (logger, capture) = capturingLogger()
            let credential = RotatingCredential([
                ClientSecretCredential(secret: "wrong-1"), ClientSecretCredential(secret: "wrong-2"),
            ])
            try await withClient(try emulatorClient(emulator, credential: credential), logger: logger) { client in
                let error = await expectIdentityError {
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
                #expect(error?.aadstsCode == 7_000_215)
                #expect(capture.count("credential rejected") == 1)
            }
            // A rejection that is not the credential's (unknown tenant) does not rotate.
            let (other, otherCapture) = capturingLogger()
            try await withClient(
                try emulatorClient(
                    emulator,
                    credential: RotatingCredential([
                        ClientSecretCredential(secret: EmulatorFixture.secret), try certificateCredential(),
                    ]),
                    tenant: "00000000-0000-0000-0000-00000000dead"
                ),
                logger: other
            ) { client in
                let error = await expectIdentityError {
                    _ = try await client.token(scope: "https://graph.microsoft.com/.default")
                }
                #expect(error?.aadstsCode == 90_002)
                #expect(otherCapture.count("credential rejected") == 0)
            }
        }
    }

    @Test("a certificate file replaced on disk is used at the next request; a secret file likewise")
    func filesReloaded() async throws {
        try await withEmulator { emulator in
            let path = try file("daemon.pem", TestPKI.shared.text("combined.pem"))
            let credential = try ClientCertificateCredential.file(path: path)
            try await withClient(try emulatorClient(emulator, credential: credential)) { client in
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                let renewed = try CertificateFactory.selfSigned(commonName: "daemon renewed")
                try (try renewed.chainPEM().joined(separator: "\n") + "\n" + renewed.privateKeyPEM).write(
                    toFile: path,
                    atomically: true,
                    encoding: .utf8
                )
                let unregistered = await expectIdentityError {
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
                #expect(unregistered?.aadstsCode == 700_027, "the new certificate is in use (not yet registered)")
                let registration =
                    #"{"pem":"# + String(decoding: try JSONEncoder().encode(try renewed.chainPEM()[0]), as: UTF8.self)
                    + "}"
                #expect(
                    try await post(
                        emulator,
                        path: "/admin/applications/\(EmulatorFixture.daemon)/certificates",
                        json: registration,
                        adminKey: emulator.adminKey
                    ).status == 200
                )
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }

            let secretPath = try file("secret", "stale-secret\n")
            try await withClient(
                try emulatorClient(emulator, credential: try ClientSecretCredential.file(path: secretPath))
            ) { client in
                let stale = await expectIdentityError {
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
                #expect(stale?.aadstsCode == 7_000_215)
                try (EmulatorFixture.secret + "\n").write(toFile: secretPath, atomically: true, encoding: .utf8)
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(throws: IdentityError.self) { try ClientSecretCredential.file(path: Self.folder + "/missing") }

            // Kubernetes secret volumes: `secret` → `..data/secret`, and rotation swaps the `..data` symlink.
            let volume = Self.folder + "/volume"
            try FileManager.default.createDirectory(atPath: volume + "/..v1", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: volume + "/..v2", withIntermediateDirectories: true)
            try "stale-secret".write(toFile: volume + "/..v1/secret", atomically: true, encoding: .utf8)
            try EmulatorFixture.secret.write(toFile: volume + "/..v2/secret", atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: volume + "/..data", withDestinationPath: "..v1")
            try FileManager.default.createSymbolicLink(atPath: volume + "/secret", withDestinationPath: "..data/secret")
            try await withClient(
                try emulatorClient(emulator, credential: try ClientSecretCredential.file(path: volume + "/secret"))
            ) { client in
                let stale = await expectIdentityError {
                    _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                }
                #expect(stale?.aadstsCode == 7_000_215)
                try FileManager.default.createSymbolicLink(atPath: volume + "/..data_tmp", withDestinationPath: "..v2")
                #expect(rename(volume + "/..data_tmp", volume + "/..data") == 0)
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
        }
    }

    @Test(
        "clock skew: AADSTS700024 from a host clock 20 min behind is corrected from the server's Date, logged, remembered"
    )
    func clockSkew() async throws {
        try await withEmulator { emulator in
            let (logger, capture) = capturingLogger()
            var configuration = try emulatorClient(emulator, credential: try certificateCredential())
            configuration.now = { Date().addingTimeInterval(-1200) }
            try await withClient(configuration, logger: logger) { client in
                let token = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                #expect(
                    abs(token.expiresOn.timeIntervalSince(Date().addingTimeInterval(-1200 + 3599))) < 60,
                    "the token's times stay on the host's clock"
                )
                #expect(capture.count("clock skew") == 1)
                let line = capture.lines.withLock { $0.first { $0.contains("clock skew") } } ?? ""
                #expect(line.contains("\"skew_seconds\": 120") || line.contains("\"skew_seconds\": 119"), "\(line)")
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
                #expect(capture.count("clock skew") == 1, "the offset is remembered")
            }
            // A secret involves no assertion time: nothing to correct, nothing logged.
            var secretConfiguration = try emulatorClient(
                emulator,
                credential: ClientSecretCredential(secret: EmulatorFixture.secret)
            )
            secretConfiguration.now = { Date().addingTimeInterval(-900) }
            try await withClient(secretConfiguration, logger: logger) { client in
                _ = try await client.identityProvider.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(capture.count("clock skew") == 1)
        }
    }
}
