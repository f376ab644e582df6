import AsyncHTTPClient
import Foundation

/// Proxy choice from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (upper or lower case), which AsyncHTTPClient does not
/// read by itself. Rules follow curl and Go's `httpproxy`: loopback is never proxied; a `NO_PROXY` entry matches the
/// host itself or any subdomain (`example.com`, `.example.com`), `*` disables proxying.
struct ProxyEnvironment {
    var environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    func value(_ name: String) -> String? {
        let value = environment[name] ?? environment[name.lowercased()]
        return value.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The proxy for `scheme://host`, `nil` for a direct connection. A proxy URL that is not `http://` (or scheme-less)
    /// is refused: AsyncHTTPClient speaks plain HTTP to a proxy, so an `https://` proxy would get its
    /// `Proxy-Authorization` — and the CONNECT target — in clear, not over the TLS its URL asks for.
    func proxy(forScheme scheme: String, host: String) throws(IdentityError) -> HTTPClient.Configuration.Proxy? {
        if EndpointURL.isLoopback(host) || bypasses(host) { return nil }
        let name = scheme == "https" ? "HTTPS_PROXY" : "HTTP_PROXY"
        guard let text = value(name) else { return nil }
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let components = URLComponents(string: withScheme), let proxyHost = components.connectionHost,
            !proxyHost.isEmpty
        else {
            throw IdentityError(
                .invalidConfiguration,
                "\(name) is not a proxy URL: set it to http://host:port (or unset it for a direct connection)"
            )
        }
        guard components.scheme?.lowercased() == "http" else {
            throw IdentityError(
                .invalidConfiguration,
                "\(name) asks for a \(components.scheme ?? "")://\(proxyHost) proxy, which is not supported: "
                    + "the connection to the proxy would be plain HTTP, its credentials sent in clear. Use an "
                    + "http:// proxy URL (the CONNECT tunnel inside it is still TLS to the identity provider)"
            )
        }
        let port = components.port ?? 80
        if let user = components.user {
            let authorization = HTTPClient.Authorization.basic(
                username: user.removingPercentEncoding ?? user,
                password: components.password?.removingPercentEncoding ?? components.password ?? ""
            )
            return .server(host: proxyHost, port: port, authorization: authorization)
        }
        return .server(host: proxyHost, port: port)
    }

    func bypasses(_ host: String) -> Bool {
        guard let list = value("NO_PROXY") else { return false }
        let host = host.lowercased()
        for rawEntry in list.split(separator: ",") {
            var entry = rawEntry.trimmingCharacters(in: .whitespaces).lowercased()
            if entry == "*" { return true }
            if let colon = entry.lastIndex(of: ":"), !entry.contains("]"), entry.filter({ $0 == ":" }).count == 1 {
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix("*.") { entry.removeFirst() }
            if entry.hasPrefix(".") { entry.removeFirst() }
            guard !entry.isEmpty else { continue }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }
}
