import ArgumentParser
import Foundation
import NIOSSL
import Tessera
import TesseraJOSE

/// `tessera cert`: certificates for app registrations.
struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Create a self-signed certificate for an app registration, or print a certificate's thumbprints.",
        subcommands: [New.self, Thumbprint.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Create a self-signed RSA-2048 certificate and key (PEM and PFX); print both thumbprints.",
            discussion: """
                Upload cert.pem to the app registration (Certificates & secrets); give the daemon combined.pem or
                daemon.pfx (AZURE_CLIENT_CERTIFICATE_PATH). Like New-SelfSignedCertificate in the Microsoft docs.
                Examples:
                  tessera cert new --subject CN=contoso-daemon --days 365 --out ./certs
                  tessera cert new --subject CN=daemon --pfx-password-file ~/.tessera/pfx-password
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "Subject, e.g. CN=contoso-daemon.")
        var subject: String

        @Option(help: "Validity in days.")
        var days = 365

        @Option(help: "Output folder.")
        var out = "."

        @Option(
            help:
                "Password of the PFX file (default: none), or - to read it from standard input. Also TESSERA_PFX_PASSWORD. A password on the command line is visible to other users (ps): prefer -, --pfx-password-file or the variable."
        )
        var pfxPassword: String?

        @Option(help: "Read the PFX password from this file (one trailing newline dropped).")
        var pfxPasswordFile: String?

        func run() throws {
            guard subject.hasPrefix("CN="), subject.count > 3 else {
                throw ValidationError("--subject must look like CN=<name>, e.g. CN=contoso-daemon")
            }
            guard (1...3650).contains(days) else { throw ValidationError("--days must be between 1 and 3650") }
            let password =
                try SecretInput.read(
                    value: pfxPassword,
                    file: pfxPasswordFile,
                    flag: "--pfx-password",
                    fileFlag: "--pfx-password-file"
                ) ?? ProcessInfo.processInfo.environment["TESSERA_PFX_PASSWORD"] ?? ""
            let certificate = try CertificateFactory.selfSigned(commonName: String(subject.dropFirst(3)), days: days)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let certPEM = try certificate.leaf.serializeAsPEM().pemString + "\n"
            try write(certPEM, "cert.pem", mode: 0o644)
            try write(certificate.privateKeyPEM + "\n", "key.pem", mode: 0o600)
            try write(certPEM + certificate.privateKeyPEM + "\n", "combined.pem", mode: 0o600)
            let bundle = NIOSSLPKCS12Bundle(
                certificateChain: [try NIOSSLCertificate(bytes: Array(certPEM.utf8), format: .pem)],
                privateKey: try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem)
            )
            let pfx = try bundle.serialize(passphrase: Array(password.utf8))
            do {
                try SecretFile.write(pfx, to: out + "/daemon.pfx")
            } catch {
                throw ValidationError("cannot write \(error)")
            }
            print("Created \(out)/cert.pem (upload this), \(out)/key.pem, \(out)/combined.pem and \(out)/daemon.pfx")
            print("Thumbprint (SHA-1):   \(certificate.thumbprint.sha1Hex)")
            print("Thumbprint (SHA-256): \(certificate.thumbprint.sha256Hex)")
            print("Expires:              \(ISO8601DateFormatter().string(from: certificate.leaf.notValidAfter))")
        }

        func write(_ text: String, _ name: String, mode: Int) throws {
            if mode == 0o600 {
                do {
                    try SecretFile.write(Array(text.utf8), to: out + "/" + name)
                } catch {
                    throw ValidationError("cannot write \(error)")
                }
                return
            }
            guard
                FileManager.default.createFile(
                    atPath: out + "/" + name,
                    contents: Data(text.utf8),
                    attributes: [.posixPermissions: mode]
                )
            else {
                throw ValidationError("cannot write \(out)/\(name)")
            }
        }
    }

    struct Thumbprint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "thumbprint",
            abstract: "Print a certificate's thumbprints (PEM certificate, combined PEM or PFX).",
            discussion:
                "Examples:\n  tessera cert thumbprint cert.pem\n  tessera cert thumbprint daemon.pfx --password-file ~/.tessera/pfx-password\n  printf %s \"$PFX_PASSWORD\" | tessera cert thumbprint daemon.pfx --password -"
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A PEM or PFX file.")
        var file: String

        @Option(
            help:
                "The PFX password, if any, or - to read it from standard input. On the command line it is visible to other users (ps): prefer - or --password-file."
        )
        var password: String?

        @Option(help: "Read the PFX password from this file (one trailing newline dropped).")
        var passwordFile: String?

        func run() throws {
            let der: [UInt8]
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
                text.contains("-----BEGIN CERTIFICATE-----"),
                let pem = text.components(separatedBy: "-----END CERTIFICATE-----").first.map({
                    $0 + "-----END CERTIFICATE-----"
                }),
                let certificate = try? NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)
            {
                der = try certificate.toDERBytes()
            } else {
                let password = try SecretInput.read(
                    value: password,
                    file: passwordFile,
                    flag: "--password",
                    fileFlag: "--password-file"
                )
                do {
                    der = try SigningCertificate.load(path: file, password: password).leafDER
                } catch {
                    throw ValidationError("\(file): \(error.message)")
                }
            }
            let thumbprint = TesseraJOSE.Thumbprint(der: der)
            print("SHA-1:    \(thumbprint.sha1Hex)")
            print("SHA-256:  \(thumbprint.sha256Hex)")
            print("x5t:      \(thumbprint.x5t)")
            print("x5t#S256: \(thumbprint.x5tS256)")
        }
    }
}
