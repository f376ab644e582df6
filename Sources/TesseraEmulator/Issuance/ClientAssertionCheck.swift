import Foundation
import TesseraJOSE
import _CryptoExtras

/// Entra's checks on a client assertion (RFC 7523), lenient where real clients differ (padded `x5t`, `x5c` with PEM
/// line breaks, decimal `exp`/`iat`, no `nbf`) and strict where it matters: the key must be a certificate registered on
/// the app — a presented `x5c` only says which one and never authenticates by itself; the signature must verify with
/// the algorithm allowed for it; one `aud`, equal to a token endpoint of this emulator for this tenant.
struct ClientAssertionCheck {
    let application: Directory.Application
    let acceptedAudiences: Set<String>
    let now: Date
    let skew: TimeInterval = 300

    /// Verifies and returns the assertion's claims.
    func verify(_ assertion: String) async throws(EntraError) -> [String: JSONValue] {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let header = Self.lenientBase64URL(parts[0]).flatMap({ try? StrictJSON.parseObject($0) }),
            let claims = Self.lenientBase64URL(parts[1]).flatMap({ try? StrictJSON.parseObject($0) })
        else { throw .assertionMalformed }

        let algorithm: JWSAlgorithm
        switch header["alg"]?.stringValue {
        case "RS256": algorithm = .rs256
        case "PS256": algorithm = .ps256
        default: throw .assertionSignature("Only RS256 and PS256 are accepted.")
        }
        guard let certificate = registeredCertificate(for: header) else {
            throw .assertionSignature(
                "The certificate used to sign the client assertion is not registered on application '\(application.model.clientId)'."
            )
        }
        guard let rsa = certificate.publicKey, JWSVerifier.verify(assertion, publicKey: rsa, algorithm: algorithm)
        else { throw .assertionSignature("The signature does not verify with the registered certificate.") }
        // Entra refuses a key credential outside its validity (no clock-skew allowance: the dates are the app's own).
        guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else {
            throw .assertionKeyNotCurrent(
                thumbprint: certificate.thumbprint.sha1Hex,
                notBefore: certificate.notValidBefore,
                notAfter: certificate.notValidAfter,
                expired: now > certificate.notValidAfter,
                clientID: application.model.clientId
            )
        }

        let clientID = application.model.clientId.lowercased()
        guard claims["iss"]?.stringValue?.lowercased() == clientID, claims["sub"]?.stringValue?.lowercased() == clientID
        else {
            throw .assertionSubject
        }
        switch claims["aud"] {
        case .string(let audience):
            guard accepts(audience: audience) else { throw .assertionAudience }
        case .array(let audiences) where audiences.count > 1:
            throw .assertionAudiences
        case .array(let audiences):
            guard let audience = audiences.first?.stringValue, accepts(audience: audience) else {
                throw .assertionAudience
            }
        default:
            throw .assertionAudience
        }
        let time = now.timeIntervalSince1970
        // exp must not be in the past, nor absurdly far ahead (an assertion is short-lived; bounds replay memory).
        guard let exp = claims["exp"]?.doubleValue, exp + skew >= time, exp <= time + 3600 + skew else {
            throw .assertionTime
        }
        if let nbf = claims["nbf"]?.doubleValue, nbf - skew > time { throw .assertionTime }
        if let iat = claims["iat"]?.doubleValue, iat - skew > time { throw .assertionTime }
        return claims
    }

    /// Whether `audience` is, byte for byte, one of the accepted token endpoints (a `Set<String>` lookup would use
    /// canonical equivalence: a Kelvin sign would match a `K`).
    func accepts(audience: String) -> Bool {
        acceptedAudiences.contains { $0.utf8.elementsEqual(audience.utf8) }
    }

    /// The registered certificate the header names by `x5t#S256`, `x5t`, or an `x5c` leaf DER-identical to it.
    func registeredCertificate(for header: [String: JSONValue]) -> Directory.RegisteredCertificate? {
        let certificates = application.certificates
        if let value = header["x5t#S256"]?.stringValue, let digest = Self.lenientBase64URL(value) {
            return certificates.first { $0.thumbprint.sha256 == digest }
        }
        if let value = header["x5t"]?.stringValue, let digest = Self.lenientBase64URL(value) {
            return certificates.first { $0.thumbprint.sha1 == digest }
        }
        if let leaf = header["x5c"]?.arrayValue?.first?.stringValue {
            let cleaned = leaf.replacingOccurrences(of: "-----BEGIN CERTIFICATE-----", with: "")
                .replacingOccurrences(of: "-----END CERTIFICATE-----", with: "").filter { !$0.isWhitespace }
            guard let der = Data(base64Encoded: cleaned) else { return nil }
            return certificates.first { $0.der == Array(der) }
        }
        return nil
    }

    /// base64url that tolerates padding and standard-alphabet characters (MSAL Python pads `x5t`).
    static func lenientBase64URL(_ text: some StringProtocol) -> [UInt8]? {
        let normalized = String(text).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .trimmingCharacters(in: CharacterSet(charactersIn: "="))
        return Base64URL.decode(normalized)
    }
}
