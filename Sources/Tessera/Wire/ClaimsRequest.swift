import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization
import TesseraJOSE

/// The `claims` form field: a claims challenge merged with the client capabilities (`xms_cc`), as MSAL does.
enum ClaimsRequest {
    static func merge(_ challenge: String?, capabilities: [String]) throws(IdentityError) -> String? {
        guard !capabilities.isEmpty else { return challenge }
        var root: [String: JSONValue] = [:]
        if let challenge {
            guard let parsed = try? StrictJSON.parseObject(Array(challenge.utf8)) else {
                throw IdentityError(
                    .invalidRequest,
                    "the claims challenge is not a JSON object; pass the decoded value of the WWW-Authenticate claims parameter"
                )
            }
            root = parsed
        }
        var accessToken = root["access_token"]?.objectValue ?? [:]
        accessToken["xms_cc"] = .object(["values": .array(capabilities.map { .string($0) })])
        root["access_token"] = .object(accessToken)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(JSONValue.object(root))) ?? Data(), as: UTF8.self)
    }
}
