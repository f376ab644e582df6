import Foundation
import TesseraJOSE

/// A URL we will send credentials to: absolute, `https` (or `http` to a loopback host), no query or fragment.
struct EndpointURL: Sendable, Hashable {
    /// Without trailing slashes.
    let string: String
    /// As configured (whitespace trimmed): issuers compare exactly.
    let original: String
    let components: URLComponents

    init(_ text: String, what: String) throws(IdentityError) {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        self.original = trimmed
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            let host = components.encodedHost, !host.isEmpty
        else {
            throw IdentityError(
                .invalidConfiguration,
                "the \(what) '\(text)' is not an absolute URL; expected e.g. https://login.microsoftonline.com"
            )
        }
        guard components.query == nil, components.fragment == nil, components.user == nil, components.password == nil
        else {
            throw IdentityError(
                .invalidConfiguration,
                "the \(what) '\(components.encodedHost ?? text)' must not carry a query, fragment or user info"
            )
        }
        switch scheme {
        case "https": break
        case "http":
            guard Self.isLoopback(host) else {
                throw IdentityError(
                    .invalidConfiguration,
                    "the \(what) uses http:// with host '\(host)': credentials may travel over plain HTTP only to a loopback "
                        + "host (localhost, 127.0.0.1, ::1); use https://"
                )
            }
        default:
            throw IdentityError(.invalidConfiguration, "the \(what) must use https:// (got '\(scheme)://')")
        }
        self.string = trimmed
        self.components = components
    }

    var host: String { components.encodedHost ?? "" }
    var origin: String {
        let scheme = components.scheme?.lowercased() ?? ""
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(host.lowercased()):\(port)"
    }

    static func isLoopback(_ host: String) -> Bool { LoopbackHost.contains(host) }
}

extension URLComponents {
    /// The host to connect to: `encodedHost` (ASCII, `xn--` for an internationalized name — the `host` getter would
    /// decode that through ICU's IDNA, paging in a megabyte of it), with percent escapes decoded, as in an IPv6 zone
    /// (`[fe80::1%25eth0]` → `[fe80::1%eth0]`).
    package var connectionHost: String? {
        guard let host = encodedHost else { return nil }
        return host.contains("%") ? host.removingPercentEncoding ?? host : host
    }
}
