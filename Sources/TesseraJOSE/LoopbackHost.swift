import Foundation

/// The hosts a credential or a key may travel to over plain HTTP: this machine only — `localhost`, `::1` and
/// `127.0.0.0/8` written as canonical decimal octets (`127.+0.0.1` or `127.0.0.09` would be looked up by name).
/// `*.localhost` is not: a resolver may send it anywhere.
///
/// And the server side's rule: which `Host` header a loopback server answers
/// (``allowsHostHeader(_:boundPort:defaultPort:alsoAllowed:)``), so that a web page whose name was rebound to 127.0.0.1
/// (DNS rebinding) cannot talk to it.
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

    /// The names a loopback server answers to in a `Host` header: exactly these (any case), never a name that merely
    /// resolves to 127.0.0.1 — a rebound attacker's name does.
    package static let serverNames: Set<String> = ["localhost", "127.0.0.1", "[::1]"]

    /// Whether a loopback server listening on `boundPort` answers a request whose `Host` header is `value`:
    /// `localhost`, `127.0.0.1` or `[::1]` (any case) with the bound port — or without a port when `boundPort` is the
    /// scheme's `defaultPort` — or one of `alsoAllowed` (authorities as ``hostHeaderForms(ofURL:)`` makes them, e.g. a
    /// public redirect URI's behind a reverse proxy). A missing, empty or malformed value (userinfo, a bare IPv6
    /// address, spaces, a port that is not 1…65535) is refused.
    package static func allowsHostHeader(
        _ value: String?,
        boundPort: Int,
        defaultPort: Int,
        alsoAllowed: [String] = []
    ) -> Bool {
        guard let value, let parsed = parseHostHeader(value) else { return false }
        let (host, port) = parsed
        if serverNames.contains(host), port.map({ $0 == boundPort }) ?? (boundPort == defaultPort) { return true }
        let normalized = port.map { "\(host):\($0)" } ?? host
        return alsoAllowed.contains { $0.lowercased() == normalized }
    }

    /// A `Host` header value split into its host (lowercased; an IPv6 address keeps its brackets) and its port (`nil`
    /// when absent); `nil` when it is not `host[:port]` with a port 1…65535 written in decimal digits.
    package static func parseHostHeader(_ value: String) -> (host: String, port: Int?)? {
        // ASCII first, then lower-cased: Unicode lower-casing would turn the Kelvin sign into `k` before the check.
        guard !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }),
            !value.contains("@"), !value.contains("/")
        else { return nil }
        let text = value.lowercased()
        let host: Substring
        let rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[...close]
            rest = text[text.index(after: close)...]
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            rest = text[colon...]
        } else {
            host = text[...]
            rest = ""
        }
        guard !host.isEmpty, host != "[]" else { return nil }
        if rest.isEmpty { return (String(host), nil) }
        let digits = rest.dropFirst()
        guard rest.first == ":", !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(digits), (1...65535).contains(port)
        else { return nil }
        return (String(host), port)
    }

    /// The `Host` header values that name `url`'s authority (for the `alsoAllowed` of
    /// ``allowsHostHeader(_:boundPort:defaultPort:alsoAllowed:)``): `host:port`, and the bare `host` too when the port
    /// is the scheme's default (80 for `http`, 443 for `https`) or absent. Empty when `url` has no host or another
    /// scheme.
    package static func hostHeaderForms(ofURL url: String) -> [String] {
        guard let components = URLComponents(string: url), let rawHost = components.encodedHost, !rawHost.isEmpty,
            let scheme = components.scheme?.lowercased()
        else { return [] }
        let defaultPort: Int
        switch scheme {
        case "http": defaultPort = 80
        case "https": defaultPort = 443
        default: return []
        }
        let bare = rawHost.lowercased().trimmingCharacters(in: ["[", "]"])
        let host = bare.contains(":") ? "[\(bare)]" : bare
        let port = components.port ?? defaultPort
        return port == defaultPort ? [host, "\(host):\(port)"] : ["\(host):\(port)"]
    }
}
