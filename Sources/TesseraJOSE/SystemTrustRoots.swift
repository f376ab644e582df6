import Foundation
import NIOSSL

/// The system's TLS trust anchors, read the way the system keeps them for OpenSSL.
///
/// NIOSSL's `.default` trust roots on Linux parse the whole CA bundle (`/etc/ssl/certs/ca-certificates.crt`, some 140
/// certificates) into each TLS context: 77 million instructions and a megabyte or more per HTTP client, on the path
/// of a daemon's first token. Where `/etc/ssl/certs` holds OpenSSL's hashed links (`c_rehash`, kept by Debian's,
/// Ubuntu's and Alpine's `update-ca-certificates` beside the bundle, from the same certificates), BoringSSL's directory
/// lookup instead reads the one anchor a chain names, when a handshake needs it. Elsewhere (a folder without the
/// links, as on Fedora and RHEL, or no such folder) this is `.default`. The anchors, and every check made with them,
/// are the same either way.
package enum SystemTrustRoots {
    /// The folder OpenSSL's hashed lookup reads.
    static let directory = "/etc/ssl/certs"

    /// `.file("/etc/ssl/certs")` where that folder holds hashed links, else `.default`.
    package static let roots: NIOSSLTrustRoots = {
        #if os(Linux)
        return roots(directory: directory)
        #else
        return .default
        #endif
    }()

    /// `.file(directory)` where that folder holds hashed links, else `.default`.
    static func roots(directory: String) -> NIOSSLTrustRoots {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory),
            names.contains(where: isHashedLinkName)
        else { return .default }
        return .file(directory)
    }

    /// `8 hex digits . n`: the name `c_rehash` gives a certificate (`d6325660.0`); a CRL's is `.r0`, not this.
    static func isHashedLinkName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 10, bytes[8] == UInt8(ascii: ".") else { return false }
        let hex = bytes[0..<8].allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
        return hex && bytes[9...].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

extension TLSConfiguration {
    /// `makeClientConfiguration()` trusting ``SystemTrustRoots/roots``: what every TLS client of Tessera starts from.
    package static func makeClientConfigurationWithSystemRoots() -> TLSConfiguration {
        var configuration = makeClientConfiguration()
        configuration.trustRoots = SystemTrustRoots.roots
        return configuration
    }
}
