import Foundation
import Testing
import TesseraJOSE
import TesseraTestSupport
import TesseraValidation

/// Google Wycheproof's JWS vectors (`../shared/vectors/wycheproof/json_web_signature_test.json`, 401 tests): every
/// applicable test — RSA keys with RS256 or PS256 (what this validator accepts), and keys that must not verify at all
/// (encryption keys, `key_ops` without `verify`) — gets the right verdict.
@Suite("Wycheproof JWS vectors")
struct WycheproofTests {
    @Test("every applicable verdict is right")
    func verdicts() throws {
        let path = Peers.sharedDirectory + "/vectors/wycheproof/json_web_signature_test.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            if Peers.isCI { Issue.record("missing \(path)") }
            return
        }
        let document = try StrictJSON.parseObject(Array(data))
        var applicable = 0, right = 0, notApplicable = 0
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
                    wrong.append("tc\(test["tcId"]?.integerValue ?? -1) \(test["comment"]?.stringValue ?? "") expected \(expected)")
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(20))")
        #expect(applicable >= 300, "applicable: \(applicable), right: \(right), not applicable: \(notApplicable)")
        print("Wycheproof JWS: \(right)/\(applicable) applicable verdicts right; \(notApplicable) not applicable (valid only under algorithms or keys not accepted: RS384/512, PS384/512, ES*, HS*)")
    }
}
