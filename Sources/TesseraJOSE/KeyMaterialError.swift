/// A certificate or key could not be loaded. The message names the cause and the fix; it never contains key material
/// or a password.
public struct KeyMaterialError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for the kind of failure, to match on.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Backing: String, Sendable {
            case unreadable, noCertificate, noPrivateKey, unsupportedKey, passwordRequired,
                wrongPasswordOrFormat, keyDoesNotMatchCertificate, malformed
        }
        let backing: Backing
        /// The code's name, e.g. `noPrivateKey`.
        public var description: String { backing.rawValue }
        /// The file could not be read.
        public static let unreadable = Code(backing: .unreadable)
        /// No `CERTIFICATE` block was found.
        public static let noCertificate = Code(backing: .noCertificate)
        /// No private key was found.
        public static let noPrivateKey = Code(backing: .noPrivateKey)
        /// The key is not RSA (Entra certificate credentials are RSA) or is shorter than 2048 bits.
        public static let unsupportedKey = Code(backing: .unsupportedKey)
        /// The key is encrypted and no password was given.
        public static let passwordRequired = Code(backing: .passwordRequired)
        /// The password is wrong, or the file is not a format we read.
        public static let wrongPasswordOrFormat = Code(backing: .wrongPasswordOrFormat)
        /// The private key does not belong to the certificate.
        public static let keyDoesNotMatchCertificate = Code(backing: .keyDoesNotMatchCertificate)
        /// The PEM or DER data is damaged.
        public static let malformed = Code(backing: .malformed)
    }

    /// What kind of failure it was.
    public let code: Code
    /// The cause and the fix, in plain words; never key material or a password.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `KeyMaterialError.<code>: <message>`; never key material or a password.
    public var description: String { "KeyMaterialError.\(code): \(message)" }
}
