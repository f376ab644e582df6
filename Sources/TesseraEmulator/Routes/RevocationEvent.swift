import Foundation

/// `POST /admin/cae/revoke` body.
struct RevocationEvent: Codable, Sendable {
    let client: String
}
