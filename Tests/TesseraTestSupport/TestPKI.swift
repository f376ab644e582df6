import Foundation

/// Keys and certificates generated with the real `openssl` tool for each test run (nothing is committed), in every
/// format a certificate credential loads.
public struct TestPKI: Sendable {
    public let directory: String
    /// The password of every encrypted file.
    public static let password = "p@ss w0rd"

    public func path(_ name: String) -> String { directory + "/" + name }
    public func text(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "" }

    /// Generated once per test process.
    public static let shared: TestPKI = {
        do { return try make() } catch { fatalError("openssl could not generate the test PKI: \(error)") }
    }()

    static func make() throws -> TestPKI {
        let directory = NSTemporaryDirectory() + "tessera-pki-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pki = TestPKI(directory: directory)
        let pass = "pass:" + password
        func run(_ arguments: [String]) throws { try OpenSSL.run(arguments, in: directory) }
        try run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem"])
        try run([
            "req", "-x509", "-key", "key.pem", "-days", "2", "-subj", "/CN=tessera-test-daemon", "-out", "cert.pem",
        ])
        try run(["rsa", "-in", "key.pem", "-traditional", "-out", "key-pkcs1.pem"])
        try run([
            "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "key.pem", "-passout", pass, "-out", "key-encrypted.pem",
        ])
        try run([
            "rsa", "-in", "key.pem", "-aes256", "-traditional", "-passout", pass, "-out", "key-legacy-encrypted.pem",
        ])
        try run(["rsa", "-in", "key.pem", "-pubout", "-out", "pub.pem"])
        try run(["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-passout", pass, "-out", "bundle.pfx"])
        try run([
            "pkcs12", "-export", "-legacy", "-inkey", "key.pem", "-in", "cert.pem", "-passout", pass, "-out",
            "bundle-legacy.pfx",
        ])
        try run([
            "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-passout", "pass:", "-out",
            "bundle-nopass.pfx",
        ])
        try run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "other-key.pem"])
        try run([
            "req", "-x509", "-key", "other-key.pem", "-days", "2", "-subj", "/CN=tessera-other", "-out",
            "other-cert.pem",
        ])
        try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec-key.pem"])
        try run(["ec", "-in", "ec-key.pem", "-out", "ec-key-traditional.pem"])
        try run(["req", "-x509", "-key", "ec-key.pem", "-days", "2", "-subj", "/CN=tessera-ec", "-out", "ec-cert.pem"])
        try run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "short-key.pem"])
        try run([
            "req", "-x509", "-key", "short-key.pem", "-days", "2", "-subj", "/CN=tessera-short", "-out",
            "short-cert.pem",
        ])
        let combined = pki.text("cert.pem") + pki.text("key.pem")
        try combined.write(toFile: pki.path("combined.pem"), atomically: true, encoding: .utf8)
        let keyFirst = pki.text("key-encrypted.pem") + pki.text("cert.pem")
        try keyFirst.write(toFile: pki.path("combined-encrypted.pem"), atomically: true, encoding: .utf8)
        return pki
    }

    /// The SHA-1 or SHA-256 fingerprint as `openssl x509 -fingerprint` prints it, without colons.
    public func opensslFingerprint(_ certificate: String, digest: String) throws -> String {
        let output = try OpenSSL.output(
            ["x509", "-in", path(certificate), "-noout", "-fingerprint", "-" + digest],
            in: directory
        )
        return String(output.split(separator: "=").last ?? "").replacingOccurrences(of: ":", with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs the `openssl` command line tool in a directory.
public enum OpenSSL {
    public static func run(_ arguments: [String], in directory: String) throws {
        _ = try output(arguments, in: directory)
    }

    public static func output(_ arguments: [String], in directory: String) throws -> String {
        try Peers.run("/usr/bin/env", ["-C", directory, "openssl"] + arguments)
    }
}
