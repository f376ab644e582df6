import ArgumentParser
import Foundation
import NIOSSL
import Tessera
import TesseraJOSE

/// `tessera decode`: a token's header and claims, times as dates, and warnings.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Show a token's header and claims (times as dates) with warnings. Does not validate the signature.",
        discussion: """
            Examples:
              tessera decode eyJ0eXAiOi...
              tessera token --scope api://reports/.default | tessera decode -
            To validate instead, use `tessera validate`.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The token, or - for standard input.")
    var token: String

    func run() throws {
        let text = (token == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : token)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let claimBytes = Base64URL.decode(parts[1]),
              let header = try? StrictJSON.parseObject(headerBytes), let claims = try? StrictJSON.parseObject(claimBytes)
        else {
            throw ValidationError("not a JWT: expected three base64url segments with JSON header and claims")
        }
        print("Header:")
        print(Self.render(header))
        print("Claims:")
        print(Self.render(claims, dates: ["exp", "nbf", "iat"]))
        let warnings = Self.warnings(claims)
        if !warnings.isEmpty {
            print("Warnings:")
            warnings.forEach { print("  - \($0)") }
        }
    }

    static func render(_ object: [String: JSONValue], dates: Set<String> = []) -> String {
        object.keys.sorted().map { key in
            let value = object[key]!
            var line = "  \(key): \(describe(value))"
            if dates.contains(key), let seconds = value.doubleValue {
                line += "  (\(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))))"
            }
            return line
        }.joined(separator: "\n")
    }

    static func describe(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "?"
    }

    static func warnings(_ claims: [String: JSONValue], now: Date = Date()) -> [String] {
        var warnings: [String] = []
        if let exp = claims["exp"]?.doubleValue, exp < now.timeIntervalSince1970 { warnings.append("expired") }
        if claims["scp"] != nil { warnings.append("a user (delegated) token: it has scp; daemons get app-only tokens") }
        if claims["roles"] == nil, claims["scp"] == nil { warnings.append("no roles: no application permission was granted (admin consent?)") }
        let audience = claims["aud"]?.stringValue ?? ""
        if audience.hasPrefix("https://graph.microsoft.com") || audience == "00000003-0000-0000-c000-000000000000" {
            warnings.append("a Microsoft Graph token: it is meant for Graph only and is not meant to be validated by third parties")
        }
        return warnings
    }
}

/// `tessera cert`: certificates for app registrations.
struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Create a self-signed certificate for an app registration, or print a certificate's thumbprints.",
        subcommands: [New.self, Thumbprint.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Create a self-signed RSA-2048 certificate and key (PEM and PFX); print both thumbprints.",
            discussion: """
                Upload cert.pem to the app registration (Certificates & secrets); give the daemon combined.pem or
                daemon.pfx (AZURE_CLIENT_CERTIFICATE_PATH). Like New-SelfSignedCertificate in the Microsoft docs.
                Examples:
                  tessera cert new --subject CN=contoso-daemon --days 365 --out ./certs
                  tessera cert new --subject CN=daemon --pfx-password "$PFX_PASSWORD"
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "Subject, e.g. CN=contoso-daemon.")
        var subject: String

        @Option(help: "Validity in days.")
        var days = 365

        @Option(help: "Output folder.")
        var out = "."

        @Option(help: "Password of the PFX file (default: none). Also TESSERA_PFX_PASSWORD.")
        var pfxPassword: String?

        func run() throws {
            guard subject.hasPrefix("CN="), subject.count > 3 else { throw ValidationError("--subject must look like CN=<name>, e.g. CN=contoso-daemon") }
            guard (1...3650).contains(days) else { throw ValidationError("--days must be between 1 and 3650") }
            let certificate = try CertificateFactory.selfSigned(commonName: String(subject.dropFirst(3)), days: days)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let certPEM = try certificate.leaf.serializeAsPEM().pemString + "\n"
            try write(certPEM, "cert.pem", mode: 0o644)
            try write(certificate.privateKeyPEM + "\n", "key.pem", mode: 0o600)
            try write(certPEM + certificate.privateKeyPEM + "\n", "combined.pem", mode: 0o600)
            let password = pfxPassword ?? ProcessInfo.processInfo.environment["TESSERA_PFX_PASSWORD"] ?? ""
            let bundle = NIOSSLPKCS12Bundle(
                certificateChain: [try NIOSSLCertificate(bytes: Array(certPEM.utf8), format: .pem)],
                privateKey: try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))
            let pfx = try bundle.serialize(passphrase: Array(password.utf8))
            FileManager.default.createFile(atPath: out + "/daemon.pfx", contents: Data(pfx), attributes: [.posixPermissions: 0o600])
            print("Created \(out)/cert.pem (upload this), \(out)/key.pem, \(out)/combined.pem and \(out)/daemon.pfx")
            print("Thumbprint (SHA-1):   \(certificate.thumbprint.sha1Hex)")
            print("Thumbprint (SHA-256): \(certificate.thumbprint.sha256Hex)")
            print("Expires:              \(ISO8601DateFormatter().string(from: certificate.leaf.notValidAfter))")
        }

        func write(_ text: String, _ name: String, mode: Int) throws {
            guard FileManager.default.createFile(atPath: out + "/" + name, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
                throw ValidationError("cannot write \(out)/\(name)")
            }
        }
    }

    struct Thumbprint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "thumbprint", abstract: "Print a certificate's thumbprints (PEM certificate, combined PEM or PFX).",
            discussion: "Examples:\n  tessera cert thumbprint cert.pem\n  tessera cert thumbprint daemon.pfx --password \"$PFX_PASSWORD\"")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A PEM or PFX file.")
        var file: String

        @Option(help: "The PFX password, if any.")
        var password: String?

        func run() throws {
            let der: [UInt8]
            if let text = try? String(contentsOfFile: file, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----"),
               let pem = text.components(separatedBy: "-----END CERTIFICATE-----").first.map({ $0 + "-----END CERTIFICATE-----" }),
               let certificate = try? NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem) {
                der = try certificate.toDERBytes()
            } else {
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

/// `tessera consent-url`: the admin-consent link for a customer's administrator.
struct ConsentURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent-url",
        abstract: "Print the admin-consent URL a tenant administrator opens to grant the daemon's app permissions.",
        discussion: """
            After consent, Entra redirects to the redirect URI with tenant=…&admin_consent=True&state=…
            (or error=…&error_description=…); the daemon can then get tokens for that tenant.
            Examples:
              tessera consent-url --tenant organizations --client-id <app-id> --redirect-uri https://contoso.example/consent-done
              tessera consent-url --tenant fabrikam.onmicrosoft.com --client-id <app-id> --redirect-uri https://localhost/consent-done --state 42
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The customer's tenant (GUID or domain), or organizations to let the administrator choose.")
    var tenant: String

    @Option(help: "The app's client ID.")
    var clientId: String

    @Option(help: "A redirect URI registered on the app.")
    var redirectUri: String

    @Option(help: "An opaque value echoed back (to match the answer to the request).")
    var state: String?

    @Option(help: "Cloud: public, usgovernment, china, or a host URL (the emulator's).")
    var cloud = "public"

    func run() throws {
        do {
            print(try AdminConsent.url(tenant: tenant, clientID: clientId, redirectURI: redirectUri, state: state, cloud: try AzureCloud.named(cloud)))
        } catch {
            throw ValidationError(error.message)
        }
    }
}
