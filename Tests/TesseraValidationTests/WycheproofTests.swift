import Foundation
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation
import Testing

/// Google Wycheproof's JWS vectors (`Tests/vectors/wycheproof/json_web_signature_test.json`, or the same path under
/// `$TESSERA_SHARED`; 401 tests): every
/// applicable test — RSA keys with RS256 or PS256 (what this validator accepts), and keys that must not verify at all
/// (encryption keys, `key_ops` without `verify`) — gets the right verdict.
@Suite("Wycheproof JWS vectors")
struct WycheproofTests {
    static let vectors = "vectors/wycheproof/json_web_signature_test.json"

    @Test(
        "every applicable verdict is right",
        .enabled(
            if: Peers.vectorsAvailable(vectors),
            "needs the Wycheproof vectors: set TESSERA_SHARED to the folder holding \(vectors) (required under CI=true)"
        )
    )
    func verdicts() throws {
        let path = Peers.sharedDirectory + "/" + Self.vectors
        guard let data = FileManager.default.contents(atPath: path) else {
            Issue.record("missing \(path): set TESSERA_SHARED to the folder holding \(Self.vectors)")
            return
        }
        let document = try StrictJSON.parseObject(Array(data))
        var applicable = 0
        var right = 0
        var notApplicable = 0
        var wrong: [String] = []
        for group in document["testGroups"]?.arrayValue ?? [] {
            let jwk = group["public"]?.objectValue ?? group["private"]?.objectValue ?? [:]
            let key = JWKSParser.key(jwk, allowed: [.rs256, .ps256])
            for test in group["tests"]?.arrayValue ?? [] {
                guard let jws = test["jws"]?.stringValue, let expected = test["result"]?.stringValue else { continue }
                // A valid signature under an algorithm or key type we do not accept is not applicable; an invalid one is.
                let headerAlg = jws.split(separator: ".").first.flatMap { Base64URL.decode($0) }
                    .flatMap { try? StrictJSON.parseObject($0) }?["alg"]?.stringValue
                if expected == "valid" && (key == nil || !["RS256", "PS256"].contains(headerAlg ?? "")) {
                    notApplicable += 1
                    continue
                }
                applicable += 1
                let verdict = key.map { TokenValidator.verifyJWS(jws, key: $0) } ?? false
                if verdict == (expected == "valid") {
                    right += 1
                } else {
                    wrong.append(
                        "tc\(test["tcId"]?.integerValue ?? -1) \(test["comment"]?.stringValue ?? "") expected \(expected)"
                    )
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(20))")
        #expect(applicable >= 300, "applicable: \(applicable), right: \(right), not applicable: \(notApplicable)")
        print(
            "Wycheproof JWS: \(right)/\(applicable) applicable verdicts right; \(notApplicable) not applicable (valid only under algorithms or keys not accepted: RS384/512, PS384/512, ES*, HS*)"
        )
    }
}
