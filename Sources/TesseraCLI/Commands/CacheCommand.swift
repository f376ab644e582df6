import ArgumentParser
import Foundation
import Tessera
import TesseraJOSE

/// `tessera cache`: the second-level token cache (the fleet's on PostgreSQL, or this host's file cache).
struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "The fleet's shared token cache on PostgreSQL (TESSERA_TOKEN_CACHE).",
        subcommands: [KeyCommand.self]
    )

    /// `tessera cache key`.
    struct KeyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key",
            abstract: "Encryption keys of the shared token cache.",
            subcommands: [NewKeyCommand.self]
        )
    }

    /// `tessera cache key new [--out FILE]`.
    struct NewKeyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "A new random 32-byte key, one base64 line (a TESSERA_TOKEN_CACHE_KEY_FILE line).",
            discussion: """
                With --out the line goes to a new file created with mode 0600 (never an existing one); without it, to
                stdout. To rotate: put the new line first in the key file (it encrypts), keep the old one below it
                (it still decrypts) until the tokens it sealed have expired.

                Examples:
                  tessera cache key new --out /etc/tessera/cache.keys
                """
        )

        @Option(help: "Write the key line to this new file (mode 0600).")
        var out: String?

        func run() async throws {
            let line = TokenCacheKeys.newKeyLine() + "\n"
            guard let out else {
                print(line, terminator: "")
                return
            }
            do {
                try SecretFile.write(Array(line.utf8), to: out, replacing: false)
            } catch {
                throw ValidationError(
                    "cannot write the key file: \(error). A key file is never replaced (its keys decrypt the cache): to "
                        + "rotate, put the line of `tessera cache key new` first in it yourself"
                )
            }
            FileHandle.standardError.write(Data("tessera cache: a new key in \(out) (mode 0600)\n".utf8))
        }
    }
}
