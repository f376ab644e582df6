import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE

/// The development CA (created once per state folder, so it is trusted once) and the loopback server certificate.
enum DevelopmentCA {
    static func serverTLS(stateDirectory: String) throws -> (caFile: String, configuration: TLSConfiguration) {
        let caFile = stateDirectory + "/ca.pem"
        let caKeyFile = stateDirectory + "/ca-key.pem"
        let authority: SigningCertificate
        if FileManager.default.fileExists(atPath: caFile), FileManager.default.fileExists(atPath: caKeyFile) {
            authority = try SigningCertificate.load(path: caFile, keyPath: caKeyFile)
        } else {
            authority = try CertificateFactory.certificateAuthority(commonName: "Tessera emulator development CA")
            try write(try authority.leaf.serializeAsPEM().pemString + "\n", to: caFile, mode: 0o644)
            try write(authority.privateKeyPEM + "\n", to: caKeyFile, mode: 0o600)
        }
        let serverFile = stateDirectory + "/server.pem"
        let server: SigningCertificate
        if let saved = try? SigningCertificate.load(path: serverFile),
            saved.leaf.notValidAfter > Date().addingTimeInterval(7 * 86_400),
            saved.chain.count > 1, saved.chain[1].publicKey == authority.leaf.publicKey
        {
            server = saved
        } else {
            server = try CertificateFactory.loopbackServer(issuedBy: authority)
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
