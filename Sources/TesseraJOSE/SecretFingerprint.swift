import Crypto

/// A short, non-reversible fingerprint of secret material for logs and cache keys: the first 8 bytes of its SHA-256
/// in lower-case hex. Never log the material itself.
package func secretFingerprint(_ material: some StringProtocol) -> String {
    Thumbprint.hex(Array(SHA256.hash(data: Array(material.utf8)).prefix(8))).lowercased()
}
