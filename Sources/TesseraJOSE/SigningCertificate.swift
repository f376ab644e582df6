import Crypto
import X509
import _CryptoExtras

/// An RSA private key with its X.509 certificate (and any intermediates, leaf first): what a certificate credential
/// signs client assertions with.
///
/// The initializer checks that the key belongs to the leaf certificate, so a mismatched pair fails at load time with
/// a clear message instead of at the identity provider as AADSTS700027.
public struct SigningCertificate: Sendable {
    /// The certificate chain, leaf first.
    public let chain: [Certificate]
    /// The leaf certificate's DER bytes.
    public let leafDER: [UInt8]
    /// Thumbprints of the leaf certificate.
    public let thumbprint: Thumbprint
    /// The private key (never printed: `description` shows only the thumbprint).
    public let privateKey: _RSA.Signing.PrivateKey

    /// The leaf certificate.
    public var leaf: Certificate { chain[0] }

    /// Pairs `privateKey` with the certificate in `certificates` whose public key it matches; the rest follow as the
    /// chain.
    public init(certificates: [Certificate], privateKey: _RSA.Signing.PrivateKey) throws(KeyMaterialError) {
        guard !certificates.isEmpty else {
            throw KeyMaterialError(.noCertificate, "no certificate was given with the private key")
        }
        let publicKey = Certificate.PublicKey(privateKey.publicKey)
        guard let leafIndex = certificates.firstIndex(where: { $0.publicKey == publicKey }) else {
            throw KeyMaterialError(
                .keyDoesNotMatchCertificate,
                "the private key does not belong to the certificate (\(certificates[0].subject)); load the key that was "
                    + "generated with this certificate"
            )
        }
        var chain = certificates
        chain.swapAt(0, leafIndex)
        let der: [UInt8]
        do {
            der = try chain[0].serializeAsPEM().derBytes
        } catch {
            throw KeyMaterialError(.malformed, "the certificate could not be re-encoded as DER")
        }
        self.chain = chain
        self.leafDER = der
        self.thumbprint = Thumbprint(der: der)
        self.privateKey = privateKey
    }

    /// PEM strings of the chain (for jwt-kit's `x5c`, which wants PEM and writes standard base64 DER).
    public func chainPEM() throws -> [String] {
        try chain.map { try $0.serializeAsPEM().pemString }
    }
}

extension SigningCertificate: CustomStringConvertible {
    /// The leaf's subject, SHA-1 thumbprint (hex) and expiry; never the private key.
    public var description: String {
        "SigningCertificate(subject: \(leaf.subject), sha1: \(thumbprint.sha1Hex), notAfter: \(leaf.notValidAfter))"
    }
}

extension SigningCertificate {
    /// The private key as PKCS#8 PEM (to write a key file; never log it).
    public var privateKeyPEM: String { privateKey.pemRepresentation }
}
