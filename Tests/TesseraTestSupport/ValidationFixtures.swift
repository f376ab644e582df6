import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraValidation
import Testing
import _CryptoExtras

package func expectRejection(
    _ reason: TokenRejection.Reason,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> ValidatedToken
) async {
    do {
        _ = try await body()
        Issue.record("accepted; expected \(reason)", sourceLocation: sourceLocation)
    } catch let rejection as TokenRejection {
        #expect(rejection.reason == reason, "\(rejection)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(error)", sourceLocation: sourceLocation)
    }
}

/// JWKS documents built from ``TestIssuer``'s certificates, with any members: for key-set and parser tests, and for
/// validators whose issuer is not the test template (the shared JWKS scopes `k1` to it).
package enum TestJWKS {
    /// One RSA signing JWK of `certificate` (default: the issuer's own key) named `kid`, `extra` members merged in.
    package static func entry(
        _ certificate: SigningCertificate = TestIssuer.shared.key,
        kid: String = "k1",
        members extra: [String: Any] = [:]
    ) -> [String: Any] {
        let primitives = try! certificate.privateKey.publicKey.getKeyPrimitives()
        var object: [String: Any] = [
            "kty": "RSA", "use": "sig", "kid": kid, "n": Base64URL.encode(primitives.modulus),
            "e": Base64URL.encode(primitives.publicExponent),
        ]
        object.merge(extra) { _, new in new }
        return object
    }

    /// The JWKS document `{"keys": entries}`.
    package static func document(_ entries: [[String: Any]]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: ["keys": entries]))
    }

    /// A key set of one unscoped key, `k1` (the issuer's own key): any issuer may use it.
    package static func unscoped() throws -> SigningKeySet {
        try SigningKeySet(jwks: document([entry()]))
    }
}
