import Crypto
import Foundation
import NIOSSL
import X509
import _CryptoExtras

extension SigningCertificate {
    /// Loads a certificate and its key from PEM text: a combined PEM (certificate(s) and key in one file), or separate
    /// certificate and key PEMs. Keys may be PKCS#1 (`RSA PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`), encrypted PKCS#8
    /// (`ENCRYPTED PRIVATE KEY`) or legacy encrypted PEM; encrypted keys need `password`.
    public static func fromPEM(
        _ certificatePEM: String,
        keyPEM: String? = nil,
        password: String? = nil
    ) throws(KeyMaterialError)
        -> SigningCertificate
    {
        var blocks = PEMBlock.split(certificatePEM)
        if let keyPEM { blocks += PEMBlock.split(keyPEM) }
        guard !blocks.isEmpty else {
            throw KeyMaterialError(
                .malformed,
                "no PEM block found; expected -----BEGIN CERTIFICATE----- and a private key"
            )
        }
        var certificates: [Certificate] = []
        var key: _RSA.Signing.PrivateKey?
        // Keys first: an unusable key (EC, too short) is the more useful error than its certificate's.
        let ordered = blocks.filter { $0.label != "CERTIFICATE" } + blocks.filter { $0.label == "CERTIFICATE" }
        for block in ordered {
            switch block.label {
            case "CERTIFICATE":
                do {
                    certificates.append(try Certificate(pemEncoded: block.text))
                } catch {
                    throw KeyMaterialError(.malformed, "a CERTIFICATE block is not a valid X.509 certificate")
                }
            case "PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
                guard key == nil else {
                    throw KeyMaterialError(.malformed, "more than one private key was found; give exactly one")
                }
                key = try loadPrivateKey(block, password: password)
            case "EC PRIVATE KEY":
                throw KeyMaterialError(
                    .unsupportedKey,
                    "an EC key was found; Entra certificate credentials need an RSA key (2048 bits or more)"
                )
            default:
                continue
            }
        }
        guard let key else {
            throw KeyMaterialError(
                .noPrivateKey,
                "no private key was found; give the key as PEM (PKCS#1 or PKCS#8), or use a PFX file"
            )
        }
        guard !certificates.isEmpty else {
            throw KeyMaterialError(.noCertificate, "no certificate was found; give the certificate PEM with the key")
        }
        return try SigningCertificate(certificates: certificates, privateKey: key)
    }

    /// Loads a PKCS#12 (PFX) bundle: modern AES-encrypted, legacy (`-legacy`) or unencrypted.
    public static func fromPKCS12(
        _ bytes: [UInt8],
        password: String? = nil
    ) throws(KeyMaterialError) -> SigningCertificate {
        let bundle: NIOSSLPKCS12Bundle
        do {
            // No password: an unencrypted bundle, or one protected by the empty password (what exporters write).
            bundle = try NIOSSLPKCS12Bundle(buffer: bytes, passphrase: Array((password ?? "").utf8))

        } catch {
            throw KeyMaterialError(
                .wrongPasswordOrFormat,
                password == nil
                    ? "the PFX file could not be opened; if it has a password, give it (AZURE_CLIENT_CERTIFICATE_PASSWORD)"
                    : "the PFX file could not be opened: the password is wrong or the file is not PKCS#12"
            )
        }
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(derRepresentation: bundle.privateKey.derBytes)
        } catch {
            throw KeyMaterialError(
                .unsupportedKey,
                "the PFX key is not an RSA key of 2048 bits or more, which Entra requires"
            )
        }
        var certificates: [Certificate] = []
        for certificate in bundle.certificateChain {
            do {
                certificates.append(try Certificate(derEncoded: certificate.toDERBytes()))
            } catch {
                throw KeyMaterialError(.malformed, "a certificate in the PFX file could not be parsed")
            }
        }
        return try SigningCertificate(certificates: certificates, privateKey: key)
    }

    /// Loads from files: a PFX (by content, whatever its extension) or a PEM, with an optional separate key file.
    public static func load(
        path: String,
        keyPath: String? = nil,
        password: String? = nil
    ) throws(KeyMaterialError)
        -> SigningCertificate
    {
        let bytes = try readFile(path)
        if let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN ") {
            let keyText = try keyPath.map { path throws(KeyMaterialError) in
                String(decoding: try readFile(path), as: UTF8.self)
            }
            return try fromPEM(text, keyPEM: keyText, password: password)
        }
        return try fromPKCS12(bytes, password: password)
    }

    static func readFile(_ path: String) throws(KeyMaterialError) -> [UInt8] {
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw KeyMaterialError(.unreadable, "cannot read '\(path)': check the path and the file's permissions")
        }
    }

    static func loadPrivateKey(_ block: PEMBlock, password: String?) throws(KeyMaterialError) -> _RSA.Signing.PrivateKey
    {
        let encrypted = block.label == "ENCRYPTED PRIVATE KEY" || block.text.contains("Proc-Type: 4,ENCRYPTED")
        if encrypted {
            guard let password else {
                throw KeyMaterialError(
                    .passwordRequired,
                    "the private key is encrypted; give its password (AZURE_CLIENT_CERTIFICATE_PASSWORD)"
                )
            }
            do {
                return try _RSA.Signing.PrivateKey(encryptedPEMRepresentation: block.text) {
                    (setter: ([UInt8]) -> Void) in
                    setter(Array(password.utf8))
                }
            } catch {
                throw KeyMaterialError(
                    .wrongPasswordOrFormat,
                    "the encrypted private key could not be decrypted: check the password"
                )
            }
        }
        do {
            return try _RSA.Signing.PrivateKey(pemRepresentation: block.text)
        } catch {
            throw KeyMaterialError(
                .unsupportedKey,
                "the private key is not an RSA key of 2048 bits or more, which Entra requires"
            )
        }
    }
}

/// One `-----BEGIN label----- … -----END label-----` block, headers included (legacy encrypted keys carry them).
struct PEMBlock {
    let label: String
    let text: String

    static func split(_ pem: String) -> [PEMBlock] {
        var blocks: [PEMBlock] = []
        var rest = pem[...]
        while let begin = rest.range(of: "-----BEGIN ") {
            guard let labelEnd = rest[begin.upperBound...].range(of: "-----") else { break }
            let label = String(rest[begin.upperBound..<labelEnd.lowerBound])
            guard let end = rest[labelEnd.upperBound...].range(of: "-----END \(label)-----") else { break }
            blocks.append(PEMBlock(label: label, text: String(rest[begin.lowerBound..<end.upperBound])))
            rest = rest[end.upperBound...]
        }
        return blocks
    }
}
