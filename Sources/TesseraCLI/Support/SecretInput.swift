import ArgumentParser
import Foundation

/// A secret given to a command without putting it on the command line (where `ps` and shell history show it to
/// others): `-` reads it from standard input, a `--…-file` option from a file; one trailing newline is dropped.
enum SecretInput {
    /// The secret from `value` (`-`: standard input) or from `file`; `nil` when neither is given. Both given is an
    /// error naming the two flags.
    static func read(value: String?, file: String?, flag: String, fileFlag: String) throws -> String? {
        switch (value, file) {
        case (.some, .some):
            throw ValidationError("give \(flag) or \(fileFlag), not both")
        case (.some("-"), nil):
            return trimmed(FileHandle.standardInput.readDataToEndOfFile())
        case (.some(let value), nil):
            return value
        case (nil, .some(let path)):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("\(fileFlag) \(path) cannot be read: check the path and that it is yours")
            }
            return trimmed(data)
        case (nil, nil):
            return nil
        }
    }

    /// The text with one trailing line ending (`\n` or `\r\n`) dropped — by bytes: in Swift `"\r\n"` is one
    /// `Character`, so dropping characters would eat the secret's last one.
    static func trimmed(_ data: Data) -> String {
        var bytes = [UInt8](data)
        if bytes.last == 0x0A {
            bytes.removeLast()
            if bytes.last == 0x0D { bytes.removeLast() }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
