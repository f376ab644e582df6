import Foundation

/// The hosts a credential or a key may travel to over plain HTTP: this machine only — `localhost`, `::1` and
/// `127.0.0.0/8` written as canonical decimal octets (`127.+0.0.1` or `127.0.0.09` would be looked up by name).
/// `*.localhost` is not: a resolver may send it anywhere.
package enum LoopbackHost {
    /// Whether `host` (brackets allowed, any case) is one.
    package static func contains(_ host: String) -> Bool {
        let bare = host.lowercased().trimmingCharacters(in: ["[", "]"])
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { octet in
                octet.allSatisfy { $0.isASCII && $0.isNumber } && UInt8(octet) != nil
                    && (octet == "0" || !octet.hasPrefix("0"))
            }
    }
}
