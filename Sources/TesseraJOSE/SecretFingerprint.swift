import Crypto

/// The key of this process's fingerprints: random, never stored, never the same in two processes.
private let processFingerprintKey = SymmetricKey(size: .bits256)

/// A short, non-reversible fingerprint of secret material for logs and in-memory cache keys: the first 8 bytes of
/// its HMAC-SHA-256 under a random key of this process, in lower-case hex. Equal within one process, unrelated across
/// processes, so a logged fingerprint cannot be checked against guesses of the secret. Never log the material itself.
package func secretFingerprint(_ material: some StringProtocol) -> String {
    let code = HMAC<SHA256>.authenticationCode(for: Array(material.utf8), using: processFingerprintKey)
    return Thumbprint.hex(Array(code.prefix(8))).lowercased()
}

/// A digest of secret material that is the same in every process (SHA-256, domain-separated): only for the key of a
/// shared cache, which stores a keyed hash of its keys under the deployment's key (`SharedTokenCache`'s rule) —
/// never for a log line, an error or a metric.
package func sharedSecretDigest(_ material: some StringProtocol) -> String {
    let digest = SHA256.hash(data: Array("tessera.shared-cache-identity.v1\u{0}".utf8) + Array(material.utf8))
    return Thumbprint.hex(Array(digest)).lowercased()
}
