import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Makes RSA keys and X.509 certificates with swift-certificates: self-signed signing certificates (app credentials,
/// token-signing keys) and a development CA with loopback server certificates (the emulator's HTTPS).
package enum CertificateFactory {
    /// A new RSA-2048 key with a self-signed certificate for `commonName`, valid for `days`.
    package static func selfSigned(commonName: String, days: Int = 365, now: Date = Date()) throws -> SigningCertificate
    {
        try selfSigned(
            commonName: commonName,
            days: days,
            now: now,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
            }
        )
    }

    /// A development certificate authority.
    package static func certificateAuthority(
        commonName: String,
        days: Int = 3650,
        now: Date = Date()
    ) throws -> SigningCertificate {
        try selfSigned(
            commonName: commonName,
            days: days,
            now: now,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            }
        )
    }

    private static func selfSigned(
        commonName: String,
        days: Int,
        now: Date,
        extensions: Certificate.Extensions
    ) throws -> SigningCertificate {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: extensions,
            issuerPrivateKey: .init(key)
        )
        return try SigningCertificate(certificates: [certificate], privateKey: key)
    }

    /// A TLS server certificate for `localhost`, `127.0.0.1` and `::1`, issued by `authority`; chain leaf first.
    package static func loopbackServer(
        issuedBy authority: SigningCertificate,
        days: Int = 825,
        now: Date = Date()
    ) throws -> SigningCertificate {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let subject = try DistinguishedName { CommonName("localhost") }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: authority.leaf.subject,
            subject: subject,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: .init(authority.privateKey)
        )
        return try SigningCertificate(certificates: [certificate] + authority.chain, privateKey: key)
    }
}
