import Crypto
import Foundation
import TesseraJOSE
import TesseraValidation
import _CryptoExtras

/// An issuer for validator tests: our own RSA keys, an Entra-like multi-tenant issuer template, raw token minting
/// (any header, any claims, any signature) so hostile tokens can be built exactly.
package struct TestIssuer: Sendable {
    package static let template = "https://login.example.test/{tenantid}/v2.0"
    package static let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    package static let otherTenant = "0d2f7c1e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"
    package static let api = "11111111-aaaa-bbbb-cccc-222222222222"
    package static let daemon = "33333333-dddd-eeee-ffff-444444444444"
    package static let shared = TestIssuer()

    package let key: SigningCertificate
    package let otherKey: SigningCertificate
    package let foreignIssuerKey: SigningCertificate

    package init() {
        key = try! CertificateFactory.selfSigned(commonName: "validator test key")
        otherKey = try! CertificateFactory.selfSigned(commonName: "attacker key")
        foreignIssuerKey = try! CertificateFactory.selfSigned(commonName: "key of another issuer")
    }

    package var issuer: String { TestIssuer.template.replacingOccurrences(of: "{tenantid}", with: TestIssuer.tenant) }

    /// JWKS: "k1" (template issuer), "k-foreign" (published for another issuer only), "k-ps" (alg PS256).
    package func jwks() -> [UInt8] {
        func entry(_ certificate: SigningCertificate, kid: String, issuer: String?, alg: String? = nil) -> [String: Any]
        {
            let primitives = try! certificate.privateKey.publicKey.getKeyPrimitives()
            var object: [String: Any] = [
                "kty": "RSA", "use": "sig", "kid": kid, "n": Base64URL.encode(primitives.modulus),
                "e": Base64URL.encode(primitives.publicExponent),
            ]
            if let issuer { object["issuer"] = issuer }
            if let alg { object["alg"] = alg }
            return object
        }
        let keys = [
            entry(key, kid: "k1", issuer: TestIssuer.template),
            entry(
                foreignIssuerKey,
                kid: "k-foreign",
                issuer: "https://login.example.test/\(TestIssuer.otherTenant)/v2.0"
            ),
            entry(key, kid: "k-ps", issuer: nil, alg: "PS256"),
        ]
        return Array(try! JSONSerialization.data(withJSONObject: ["keys": keys]))
    }

    package static func baseClaims(now: Date = Date()) -> [String: JSONValue] {
        let time = Double(Int(now.timeIntervalSince1970))
        return [
            "aud": .string(api), "iss": .string(template.replacingOccurrences(of: "{tenantid}", with: tenant)),
            "iat": .number(time - 60), "nbf": .number(time - 60), "exp": .number(time + 3600),
            "azp": .string(daemon), "azpacr": "2", "idtyp": "app", "oid": "5e6f7a8b-0000-4000-8000-000000000001",
            "sub": "5e6f7a8b-0000-4000-8000-000000000001", "roles": .array(["Reports.Read.All"]),
            "tid": .string(tenant),
            "uti": "abc", "ver": "2.0",
        ]
    }

    package static func encode(_ object: [String: JSONValue]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Base64URL.encode(try! encoder.encode(JSONValue.object(object)))
    }

    /// A compact JWS over exactly these segments, signed with `signer` (RS256 by default, with the test key).
    package func mint(
        header: [String: JSONValue] = ["alg": "RS256", "typ": "JWT", "kid": "k1"],
        claims: [String: JSONValue] = TestIssuer.baseClaims(),
        rawHeader: String? = nil,
        rawClaims: String? = nil,
        key: SigningCertificate? = nil,
        pss: Bool = false
    ) -> String {
        let input = (rawHeader ?? TestIssuer.encode(header)) + "." + (rawClaims ?? TestIssuer.encode(claims))
        let signingKey = (key ?? self.key).privateKey
        let signature = try! signingKey.signature(for: Data(input.utf8), padding: pss ? .PSS : .insecurePKCS1v1_5)
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }
}
