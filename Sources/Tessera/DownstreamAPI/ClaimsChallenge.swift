import Foundation
import TesseraJOSE

/// A claims challenge from a resource API (Continuous Access Evaluation, conditional access): a `401` whose
/// `WWW-Authenticate: Bearer … error="insufficient_claims", claims="<base64 JSON>"` asks for a new token carrying
/// those claims. Answer it by requesting a token with ``claims`` (``TokenRequest/claims``) and retrying the call once.
public struct ClaimsChallenge: Sendable, Hashable {
    /// The claims request, decoded JSON (e.g. `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`).
    public let claims: String
    /// The challenge's `error` parameter (`insufficient_claims`, or `invalid_token` with claims).
    public let error: String?

    /// The claims challenge among `WWW-Authenticate` header values, if there is one: a `Bearer` challenge with a
    /// `claims` parameter whose value is base64 (standard or URL alphabet, padded or not) or plain JSON of an object.
    public init?(wwwAuthenticate values: [String]) {
        for value in values {
            for challenge in Self.challenges(value) where challenge.scheme.lowercased() == "bearer" {
                guard let encoded = challenge.parameters["claims"], let claims = Self.decodeClaims(encoded) else {
                    continue
                }
                self.claims = claims
                self.error = challenge.parameters["error"]
                return
            }
        }
        return nil
    }

    static func decodeClaims(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 16 * 1024 else { return nil }
        var bytes: [UInt8]
        if trimmed.hasPrefix("{") {
            bytes = Array(trimmed.utf8)
        } else {
            var base64 = trimmed.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 = base64.trimmingCharacters(in: CharacterSet(charactersIn: "="))
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            guard let data = Data(base64Encoded: base64) else { return nil }
            bytes = Array(data)
        }
        guard (try? StrictJSON.parseObject(bytes)) != nil else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Splits a `WWW-Authenticate` value into challenges (RFC 9110 §11.6.1):
    /// `scheme param=value, param="quoted", …`.
    static func challenges(_ header: String) -> [(scheme: String, parameters: [String: String])] {
        var result: [(scheme: String, parameters: [String: String])] = []
        var scanner = Substring(header)
        func skipSpaceAndCommas() { scanner = scanner.drop { $0 == " " || $0 == "\t" || $0 == "," } }
        func token() -> Substring {
            let token = scanner.prefix { !" \t,=\"".contains($0) }
            scanner = scanner.dropFirst(token.count)
            return token
        }
        while true {
            skipSpaceAndCommas()
            let scheme = token()
            guard !scheme.isEmpty else { break }
            var parameters: [String: String] = [:]
            while true {
                skipSpaceAndCommas()
                let checkpoint = scanner
                let name = token()
                scanner = scanner.drop { $0 == " " || $0 == "\t" }
                guard !name.isEmpty, scanner.first == "=" else {
                    scanner = checkpoint
                    break
                }
                scanner = scanner.dropFirst().drop { $0 == " " || $0 == "\t" }
                var value = ""
                if scanner.first == "\"" {
                    scanner = scanner.dropFirst()
                    while let character = scanner.first, character != "\"" {
                        if character == "\\" { scanner = scanner.dropFirst() }
                        if let next = scanner.first {
                            value.append(next)
                            scanner = scanner.dropFirst()
                        }
                    }
                    scanner = scanner.dropFirst()
                } else {
                    value = String(scanner.prefix { $0 != "," && $0 != " " && $0 != "\t" })
                    scanner = scanner.dropFirst(value.count)
                }
                parameters[name.lowercased()] = value
            }
            result.append((String(scheme), parameters))
        }
        return result
    }
}
