import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE
import X509
import _CryptoExtras

/// The development CA (created once per state folder, so it is trusted once) and the loopback server certificate.
///
/// The CA lasts ``authorityDays`` and carries a critical name constraint permitting only the DNS name `localhost`:
/// trusted by a developer's browser or system, it cannot vouch for any named site, even if its key leaks (IP
/// addresses stay unconstrained: see ``permittedNames``).
/// It is replaced when fewer than ``renewalDays`` remain (clients must then trust the new `ca.pem`). The server
/// certificate lasts at most ``serverDays`` and never beyond the CA. A state folder made before the constraint keeps
/// its CA until it expires or `ca.pem` and `ca-key.pem` are removed.
enum DevelopmentCA {
    /// The CA's lifetime.
    static let authorityDays = 365
    /// The server certificate's longest lifetime (the CA/Browser Forum's 397 days).
    static let serverDays = 397
    /// A CA with fewer days left is replaced.
    static let renewalDays = 30

    static func serverTLS(
        stateDirectory: String,
        now: Date = Date()
    ) throws -> (caFile: String, configuration: TLSConfiguration) {
        let caFile = stateDirectory + "/ca.pem"
        let caKeyFile = stateDirectory + "/ca-key.pem"
        var savedAuthority: SigningCertificate?
        if FileManager.default.fileExists(atPath: caFile), FileManager.default.fileExists(atPath: caKeyFile) {
            savedAuthority = try SigningCertificate.load(path: caFile, keyPath: caKeyFile)
        }
        let authority: SigningCertificate
        if let savedAuthority,
            savedAuthority.leaf.notValidAfter > now.addingTimeInterval(Double(renewalDays) * 86_400)
        {
            authority = savedAuthority
        } else {
            authority = try makeAuthority(now: now)
            try write(try authority.leaf.serializeAsPEM().pemString + "\n", to: caFile, mode: 0o644)
            try write(authority.privateKeyPEM + "\n", to: caKeyFile, mode: 0o600)
        }
        let serverFile = stateDirectory + "/server.pem"
        let server: SigningCertificate
        if let saved = try? SigningCertificate.load(path: serverFile),
            saved.leaf.notValidAfter > now.addingTimeInterval(7 * 86_400),
            saved.leaf.notValidAfter <= authority.leaf.notValidAfter,
            saved.leaf.notValidAfter.timeIntervalSince(saved.leaf.notValidBefore) <= Double(serverDays) * 86_400 + 300,
            saved.chain.count > 1, saved.chain[1].publicKey == authority.leaf.publicKey
        {
            server = saved
        } else {
            // Within the CA's validity: it starts 5 minutes before `now` (as the CA did, or later) and ends no later.
            let left = Int(authority.leaf.notValidAfter.timeIntervalSince(now) / 86_400)
            server = try CertificateFactory.loopbackServer(
                issuedBy: authority,
                days: min(serverDays, left),
                now: now
            )
            let pem =
                try server.chain.map { try $0.serializeAsPEM().pemString + "\n" }.joined() + server.privateKeyPEM + "\n"
            try write(pem, to: serverFile, mode: 0o600)
        }
        let chain = try server.chain.map {
            try NIOSSLCertificate(bytes: Array($0.serializeAsPEM().pemString.utf8), format: .pem)
        }
        let key = try NIOSSLPrivateKey(bytes: Array(server.privateKeyPEM.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        return (caFile, configuration)
    }

    /// The names the CA may vouch for: DNS `localhost` (and, by the constraint's rule, names under it). No IP subtree:
    /// the BoringSSL inside swift-nio-ssl does not match IP name constraints and refuses every certificate with an IP
    /// address under a CA that has one (`X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE`), so the server's `127.0.0.1` and
    /// `::1` entries stay unconstrained — no host name but `localhost` can be vouched for.
    static let permittedNames: [GeneralName] = [.dnsName("localhost")]

    /// A new development CA: RSA-2048, ``authorityDays`` from 5 minutes before `now`, path length 0, certificate
    /// signing only, and a critical name constraint to ``permittedNames``.
    static func makeAuthority(now: Date) throws -> SigningCertificate {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("Tessera emulator development CA") }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(authorityDays) * 86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
                Critical(NameConstraints(permittedSubtrees: permittedNames))
            },
            issuerPrivateKey: .init(key)
        )
        return try SigningCertificate(certificates: [certificate], privateKey: key)
    }

    /// Writes `text` to `path`: a secret (`mode` 0600) through ``SecretFile``, a public certificate as a plain file.
    static func write(_ text: String, to path: String, mode: Int) throws {
        if mode == 0o600 {
            do {
                try SecretFile.write(Array(text.utf8), to: path)
            } catch {
                throw EmulatorError("cannot write \(error)")
            }
            return
        }
        guard
            FileManager.default.createFile(
                atPath: path,
                contents: Data(text.utf8),
                attributes: [.posixPermissions: mode]
            )
        else {
            throw EmulatorError("cannot write \(path): check the state folder's permissions")
        }
    }
}
