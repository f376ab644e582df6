import Foundation
import Synchronization
import TesseraJOSE

extension IdentityError {
    /// The identity provider refused the client's credential itself (not the app, tenant or scope): another
    /// credential of the same app may work.
    var isCredentialRejection: Bool {
        if let code = aadstsCode { return Self.credentialRejectionCodes.contains(code) }
        return oauthError == "invalid_client" && (httpStatus == 401 || httpStatus == 400)
    }

    /// Wrong or expired secret, unknown key, bad signature, key not valid yet or expired, assertion not for this app.
    static let credentialRejectionCodes: Set<Int> = [
        7_000_215, 7_000_222, 700_027, 7_000_274, 700_023, 50_012, 700_021, 7_000_216,
    ]
}
