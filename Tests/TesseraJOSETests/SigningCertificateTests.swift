import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("Certificate and key loading")
struct SigningCertificateTests {
    let pki = TestPKI.shared

    @Test(
        "loads every format",
        arguments: [
            ("PEM cert + PKCS#8 key", "cert.pem", "key.pem", false),
            ("PEM cert + PKCS#1 key", "cert.pem", "key-pkcs1.pem", false),
            ("PEM cert + encrypted PKCS#8", "cert.pem", "key-encrypted.pem", true),
            ("PEM cert + legacy encrypted PEM", "cert.pem", "key-legacy-encrypted.pem", true),
            ("combined PEM", "combined.pem", nil, false),
            ("combined PEM, encrypted key first", "combined-encrypted.pem", nil, true),
            ("PFX (AES)", "bundle.pfx", nil, true),
            ("PFX (-legacy)", "bundle-legacy.pfx", nil, true),
            ("PFX without password", "bundle-nopass.pfx", nil, false),
        ] as [(String, String, String?, Bool)]
    )
    func loads(name: String, file: String, keyFile: String?, needsPassword: Bool) throws {
        let certificate = try SigningCertificate.load(
            path: pki.path(file),
            keyPath: keyFile.map(pki.path),
            password: needsPassword ? TestPKI.password : nil
        )
        #expect(certificate.thumbprint.sha1Hex == (try pki.opensslFingerprint("cert.pem", digest: "sha1")), "\(name)")
        #expect(
            certificate.thumbprint.sha256Hex == (try pki.opensslFingerprint("cert.pem", digest: "sha256")),
            "\(name)"
        )
        #expect("\(certificate)".contains("tessera-test-daemon"))
        #expect(!"\(certificate)".contains("PRIVATE"))
    }

    @Test(
        "refuses with a named cause",
        arguments: [
            (
                "encrypted key without password", "cert.pem", "key-encrypted.pem", nil,
                KeyMaterialError.Code.passwordRequired
            ),
            ("encrypted key, wrong password", "cert.pem", "key-encrypted.pem", "nope", .wrongPasswordOrFormat),
            (
                "legacy encrypted, wrong password", "cert.pem", "key-legacy-encrypted.pem", "nope",
                .wrongPasswordOrFormat
            ),
            ("PFX, wrong password", "bundle.pfx", nil, "nope", .wrongPasswordOrFormat),
            ("PFX, missing password", "bundle.pfx", nil, nil, .wrongPasswordOrFormat),
            ("key of another certificate", "cert.pem", "other-key.pem", nil, .keyDoesNotMatchCertificate),
            ("EC key (PKCS#8)", "ec-cert.pem", "ec-key.pem", nil, .unsupportedKey),
            ("EC key (SEC1)", "ec-cert.pem", "ec-key-traditional.pem", nil, .unsupportedKey),
            ("RSA-1024 key", "short-cert.pem", "short-key.pem", nil, .unsupportedKey),
            ("certificate without key", "cert.pem", nil, nil, .noPrivateKey),
            ("key without certificate", "key.pem", nil, nil, .noCertificate),
            ("public key only", "pub.pem", nil, nil, .noPrivateKey),
            ("missing file", "does-not-exist.pem", nil, nil, .unreadable),
        ] as [(String, String, String?, String?, KeyMaterialError.Code)]
    )
    func refuses(name: String, file: String, keyFile: String?, password: String?, code: KeyMaterialError.Code) {
        do {
            _ = try SigningCertificate.load(path: pki.path(file), keyPath: keyFile.map(pki.path), password: password)
            Issue.record("\(name): loaded")
        } catch {
            #expect(error.code == code, "\(name): \(error)")
            #expect(!error.message.contains(TestPKI.password))
        }
    }

    @Test("a damaged certificate is a clear error")
    func damaged() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n" + pki.text("key.pem")
        #expect(throws: KeyMaterialError.self) { try SigningCertificate.fromPEM(pem) }
    }
}
