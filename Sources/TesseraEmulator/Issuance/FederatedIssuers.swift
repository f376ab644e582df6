import Foundation
import Synchronization
import TesseraJOSE
import TesseraValidation

/// The signing keys of the issuers named by apps' federated credentials, fetched through the issuer's OpenID discovery
/// (`{issuer}/.well-known/openid-configuration` → `jwks_uri`) only for issuers some app trusts, kept per issuer
/// (SigningKeySet's refresh limits apply). Tokens of this emulator's own issuers (managed identities) use its own keys.
final class FederatedIssuers: Sendable {
    let caFile: String?
    let own: SigningKeySet
    let base: BaseURLs
    /// Keyed by the issuer's UTF-8 bytes: `String` keys would merge canonically equivalent issuers.
    private let sets = Mutex<[[UInt8]: SigningKeySet]>([:])

    init(keys: SigningKeys, base: BaseURLs, caFile: String?) {
        self.caFile = caFile
        self.base = base
        self.own = SigningKeySet(unknownKeyRefreshInterval: .seconds(1)) { [keys, base] in
            Array(try JSONSerialization.data(withJSONObject: try keys.jwks(issuer: "\(base.primary)/{tenantid}/v2.0")))
        }
    }

    func keySet(for issuer: String) -> SigningKeySet {
        if base.all.contains(where: { issuer.utf8.starts(with: ($0 + "/").utf8) }) { return own }
        let key = Array(issuer.utf8)
        return sets.withLock { sets in
            if let known = sets[key] { return known }
            if sets.count >= 100 { sets.removeAll() }
            let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
            let set = SigningKeySet(url: trimmed + "/.well-known/openid-configuration", discovery: true, caFile: caFile)
            sets[key] = set
            return set
        }
    }
}
