import Foundation
import Synchronization
import TesseraEmulator
import TesseraJOSE

/// The emulator's key material (development CA, server certificate, signing key), generated once per test process and
/// copied into each emulator's state folder: RSA key generation in a debug build costs seconds of CPU, and dozens of
/// emulators generating their own starved the 2-core CI machine's cooperative pool.
package enum EmulatorKeys {
    package static let files = ["ca.pem", "ca-key.pem", "server.pem", "signing-key.pem"]
    private static let template = Mutex<String?>(nil)

    /// A fresh state folder holding the shared key material, when it exists yet.
    package static func stateDirectory() throws -> String {
        let folder = NSTemporaryDirectory() + "tessera-emulator-\(UUID().uuidString.prefix(8))"
        try SecretFile.prepareFolder(folder)  // 0700, whatever the umask: the emulator refuses a group-writable one
        if let template = template.withLock({ $0 }) {
            for file in files {
                try FileManager.default.copyItem(atPath: template + "/" + file, toPath: folder + "/" + file)
            }
        }
        return folder
    }

    /// Keeps `emulator`'s key material as the template, unless one is kept already.
    package static func remember(_ emulator: Emulator) {
        guard template.withLock({ $0 }) == nil else { return }
        let folder = NSTemporaryDirectory() + "tessera-emulator-keys-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for file in files {
                try FileManager.default.copyItem(
                    atPath: emulator.stateDirectory + "/" + file,
                    toPath: folder + "/" + file
                )
            }
            template.withLock { if $0 == nil { $0 = folder } }
        } catch {
            // No template: the next emulators generate their own keys.
        }
    }

    /// Starts an emulator on shared key material.
    package static func start(
        _ model: DirectoryModel,
        options: Emulator.Options = Emulator.Options()
    ) async throws -> Emulator {
        var options = options
        if options.stateDirectory == nil { options.stateDirectory = try stateDirectory() }
        let emulator = try await Emulator.start(model, options: options)
        remember(emulator)
        return emulator
    }
}
