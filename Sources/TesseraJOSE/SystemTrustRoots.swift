import Crypto
import Foundation
import NIOSSL

/// The system's TLS trust anchors, read the way the system keeps them for OpenSSL.
///
/// NIOSSL's `.default` trust roots on Linux parse the whole CA bundle (`/etc/ssl/certs/ca-certificates.crt`, some 140
/// certificates) into each TLS context — 77 million instructions and a megabyte or more per HTTP client, on the path
/// of a daemon's first token — and add the hashed folder `/etc/ssl/certs` for look-ups. Where that folder holds
/// OpenSSL's hashed links (`c_rehash`, kept by Debian's, Ubuntu's and Alpine's `update-ca-certificates` beside the
/// bundle) **and every certificate of the bundle is among the linked ones**, the folder alone trusts the same anchors:
/// BoringSSL's directory look-up reads the anchor a chain names when a handshake needs it. Otherwise — a bundle with a
/// certificate appended or mounted over it, a folder without the links (Fedora, RHEL), no folder — this is
/// `.default`, as before. The check compares the certificates' PEM bodies (no certificate is parsed: reading the
/// linked files is a few hundred kilobytes, once per process).
///
/// A `caFile` added to either (`additionalTrustRoots`) is loaded as before; a certificate in it with the same subject
/// as a system root is found first and hides that root from the folder's look-up.
package enum SystemTrustRoots {
    /// The folder OpenSSL's hashed look-up reads, and the bundles NIOSSL's `.default` loads (the first that exists).
    static let directory = "/etc/ssl/certs"
    static let bundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]

    /// `.file("/etc/ssl/certs")` where that folder's links hold every certificate of the system bundle, else
    /// `.default`.
    package static let roots: NIOSSLTrustRoots = {
        #if os(Linux)
        return roots(directory: directory, bundle: bundles.first { FileManager.default.fileExists(atPath: $0) })
        #else
        return .default
        #endif
    }()

    /// `.file(directory)` where `directory` holds hashed links whose certificates include every one of `bundle`
    /// (when there is a bundle), else `.default`.
    static func roots(directory: String, bundle: String?) -> NIOSSLTrustRoots {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return .default }
        let links = names.filter(isHashedLinkName)
        guard !links.isEmpty else { return .default }
        if let bundle {
            guard let text = FileManager.default.contents(atPath: bundle) else { return .default }
            var linked = Set<SHA256.Digest>()
            for link in links {
                guard let pem = FileManager.default.contents(atPath: directory + "/" + link) else { continue }
                linked.formUnion(certificateBodies(pem))
            }
            guard certificateBodies(text).isSubset(of: linked) else { return .default }
        }
        return .file(directory)
    }

    /// The SHA-256 of each PEM certificate's base64 body in `pem`, white space removed — scanned as bytes (a bundle is a
    /// few hundred kilobytes: no `Character` walk, no parse, no per-byte hashing). Not ``PEMBlock/split(_:)``, the
    /// module's `String` walk for key files: over the bundle at start-up it measured 5–10 ms slower (A/B, first token).
    static func certificateBodies(_ pem: Data) -> Set<SHA256.Digest> {
        let begin = Array("-----BEGIN CERTIFICATE-----".utf8)
        let end = Array("-----END CERTIFICATE-----".utf8)
        let bytes = [UInt8](pem)
        func find(_ marker: [UInt8], from start: Int) -> Int? {
            guard bytes.count >= marker.count, start <= bytes.count - marker.count else { return nil }
            var index = start
            while index <= bytes.count - marker.count {
                if bytes[index] == marker[0], bytes[index..<index + marker.count].elementsEqual(marker) { return index }
                index += 1
            }
            return nil
        }
        var bodies = Set<SHA256.Digest>()
        var position = 0
        while let opening = find(begin, from: position), let closing = find(end, from: opening + begin.count) {
            bodies.insert(SHA256.hash(data: bytes[(opening + begin.count)..<closing].filter { !Self.isWhitespace($0) }))
            position = closing + end.count
        }
        return bodies
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\t")
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
