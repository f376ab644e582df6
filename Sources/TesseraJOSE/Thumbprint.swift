import Crypto

/// Certificate thumbprints as JOSE and Entra use them.
public struct Thumbprint: Sendable, Hashable {
    /// SHA-1 of the DER certificate (`x5t`; what the Azure portal shows as "Thumbprint", in hex).
    public let sha1: [UInt8]
    /// SHA-256 of the DER certificate (`x5t#S256`).
    public let sha256: [UInt8]

    /// The thumbprints of the DER-encoded certificate `der`.
    public init(der: some Sequence<UInt8>) {
        let bytes = Array(der)
        self.sha1 = Array(Insecure.SHA1.hash(data: bytes))
        self.sha256 = Array(SHA256.hash(data: bytes))
    }

    /// base64url SHA-1 (`x5t` header value).
    public var x5t: String { Base64URL.encode(sha1) }
    /// base64url SHA-256 (`x5t#S256` header value).
    public var x5tS256: String { Base64URL.encode(sha256) }
    /// Upper-case hex SHA-1, as the Azure portal and `New-SelfSignedCertificate` print it.
    public var sha1Hex: String { Self.hex(sha1) }
    /// Upper-case hex SHA-256.
    public var sha256Hex: String { Self.hex(sha256) }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
