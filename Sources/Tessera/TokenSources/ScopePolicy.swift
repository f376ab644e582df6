import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization
import TesseraJOSE

/// Client-credentials scopes: for Microsoft exactly one `{resource}/.default`; for generic servers any non-empty set.
enum ScopePolicy {
    static func check(_ scopes: [String], microsoft: Bool) throws(IdentityError) -> [String] {
        let scopes = scopes.flatMap { $0.split(separator: " ").map(String.init) }
        guard !scopes.isEmpty, scopes.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isNewline) }) else {
            throw IdentityError(
                .invalidScope,
                "no scope was given; for Microsoft use '{resource}/.default', e.g. https://graph.microsoft.com/.default"
            )
        }
        guard microsoft else { return scopes }
        guard scopes.count == 1, let scope = scopes.first, scope.hasSuffix("/.default"), scope.count > "/.default".count
        else {
            throw IdentityError(
                .invalidScope,
                "client credentials need exactly one scope of the form '{resource}/.default' (got '\(scopes.joined(separator: " ").prefix(200))'), "
                    + "e.g. https://graph.microsoft.com/.default or api://<api-client-id>/.default; app permissions are granted "
                    + "by admin consent, not requested per scope (AADSTS1002012)",
                aadstsCode: 1_002_012
            )
        }
        return scopes
    }
}
