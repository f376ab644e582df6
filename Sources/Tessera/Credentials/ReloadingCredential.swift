import Foundation
import Synchronization
import TesseraJOSE

/// A credential whose underlying credential is reloaded from files.
struct ReloadingCredential<Wrapped: ClientCredential>: ClientCredential, CustomStringConvertible {
    let identity: String
    let value: FileBackedValue<Wrapped>

    func authentication(for context: CredentialContext) async throws -> ClientAuthentication {
        try await value.current().authentication(for: context)
    }

    var description: String { "ReloadingCredential(\(value.paths.joined(separator: ", ")))" }
}
