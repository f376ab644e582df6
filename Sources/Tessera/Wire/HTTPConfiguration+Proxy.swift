import AsyncHTTPClient
import Foundation

extension HTTPConfiguration {
    /// The proxy `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` choose for `url` (loopback never proxied), for HTTP clients of
    /// your own that should behave like the token client. Throws ``IdentityError/Code/invalidConfiguration`` for a
    /// proxy URL that is not `http://` (an `https://` proxy would get its credentials in clear).
    public static func environmentProxy(
        for url: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(IdentityError)
        -> HTTPClient.Configuration.Proxy?
    {
        guard let components = URLComponents(string: url), let host = components.encodedHost else { return nil }
        return try ProxyEnvironment(environment: environment).proxy(forScheme: components.scheme ?? "https", host: host)
    }
}
