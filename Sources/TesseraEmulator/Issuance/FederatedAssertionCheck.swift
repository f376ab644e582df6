import Foundation
import Synchronization
import TesseraJOSE
import TesseraValidation

/// Entra's checks on a federated client assertion (workload identity federation): the app must have a federated
/// credential with the assertion's issuer, subject and one of its audiences (else AADSTS700211 / 700213 / 700212, or
/// 70021 when the app has none); the signature must verify with the issuer's published key (50166 when its keys cannot
/// be fetched, 50013 when it does not verify); and the assertion must be within its lifetime (700024).
struct FederatedAssertionCheck {
    let application: Directory.Application
    let issuers: FederatedIssuers
    let now: Date
    let skew: TimeInterval = 300

    /// The issuer of an assertion issued by another party (an `https://` or `http://` URL, as federated credential
    /// issuers are): a federated one. Unverified. Any other `iss` is the app's own assertion (700021 if not the
    /// client).
    static func externalIssuer(_ assertion: String, clientID: String) -> String? {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let claims = Base64URL.decode(parts[1]).flatMap({ try? StrictJSON.parseObject($0) }),
            let issuer = claims["iss"]?.stringValue, issuer.lowercased() != clientID.lowercased(),
            issuer.lowercased().hasPrefix("https://") || issuer.lowercased().hasPrefix("http://")
        else { return nil }
        return issuer
    }

    func verify(_ assertion: String) async throws(EntraError) -> [String: JSONValue] {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let header = Base64URL.decode(parts[0]).flatMap({ try? StrictJSON.parseObject($0) }),
            let claims = Base64URL.decode(parts[1]).flatMap({ try? StrictJSON.parseObject($0) }),
            let issuer = claims["iss"]?.stringValue
        else { throw .assertionMalformed }
        let subject = claims["sub"]?.stringValue ?? ""
        let audiences: [String] =
            claims["aud"]?.stringValue.map { [$0] } ?? claims["aud"]?.arrayValue?.compactMap(\.stringValue) ?? []
        func noMatch(_ what: String) -> EntraError {
            .federatedNoMatch(what, issuer: issuer, subject: subject, audience: audiences.joined(separator: ","))
        }
        // Compared as UTF-8 bytes, as Entra compares them: Swift's `==` (and a `Set<String>`) would use canonical
        // equivalence, where a Kelvin sign (U+212A) equals a `K`.
        let credentials = application.model.federatedCredentials
        guard !credentials.isEmpty else { throw noMatch("") }
        let byIssuer = credentials.filter { Self.sameBytes($0.issuer, issuer) }
        guard !byIssuer.isEmpty else { throw noMatch("issuer") }
        let bySubject = byIssuer.filter { Self.sameBytes($0.subject, subject) }
        guard !bySubject.isEmpty else { throw noMatch("subject") }
        // The token-exchange audience matches by identifier URI or by its application ID (a managed identity's token).
        let presented = audiences.map {
            Self.sameBytes($0, Directory.tokenExchangeClientID) ? Directory.tokenExchangeIdentifier : $0
        }
        let audienceMatches = bySubject.contains { credential in
            credential.acceptedAudiences.contains { accepted in presented.contains { Self.sameBytes($0, accepted) } }
        }
        guard audienceMatches else { throw noMatch("audience") }

        guard header["alg"]?.stringValue == "RS256" else {
            throw .federatedSignature("Only RS256 federated assertions are accepted.")
        }
        guard let kid = header["kid"]?.stringValue else {
            throw .federatedSignature("The assertion's header has no kid.")
        }
        let key: VerificationKey
        do {
            key = try await issuers.keySet(for: issuer).key(kid, now: now)
        } catch {
            if error.reason == .unknownKey {
                throw .federatedSignature("The issuer publishes no key '\(kid.prefix(64))'.")
            }
            throw .federatedKeys(issuer)
        }
        guard JWSVerifier.verify(assertion, publicKey: key.publicKey, algorithm: .rs256) else {
            throw .federatedSignature("The signature does not verify with the issuer's key '\(kid.prefix(64))'.")
        }
        let time = now.timeIntervalSince1970
        guard let exp = claims["exp"]?.doubleValue, exp + skew >= time else { throw .assertionTime }
        if let nbf = claims["nbf"]?.doubleValue, nbf - skew > time { throw .assertionTime }
        return claims
    }

    /// Whether `a` and `b` are the same UTF-8 bytes (not canonically equivalent: `"\u{212A}" == "K"` is `true`).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }
}
