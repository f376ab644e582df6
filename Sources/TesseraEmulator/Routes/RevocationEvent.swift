import Foundation
import HTTPTypes
import Hummingbird
import TesseraJOSE

/// The admin REST API (loopback only — the emulator binds 127.0.0.1 — and protected by `Authorization: Bearer <admin
/// key>`): registers tenants, users, applications, secrets, certificates and grants at run time, reads the directory
/// back (secret values as hints), rotates signing keys, and sets faults. Changes persist to the state folder.
/// `POST /admin/cae/revoke` body.
struct RevocationEvent: Codable, Sendable {
    let client: String
}
