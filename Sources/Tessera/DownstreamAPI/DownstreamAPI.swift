/// Where a downstream API is and which app token it takes — Microsoft.Identity.Web's `DownstreamApis` entry
/// (`BaseUrl`, `RelativePath`, `Scopes`).
public struct DownstreamAPI: Sendable, Hashable {
    /// The API's base URL, e.g. `https://graph.microsoft.com/v1.0/`. Paths given to the caller are relative to it.
    public var baseURL: String
    /// The token's scopes; for Microsoft one `{resource}/.default`, e.g. `https://graph.microsoft.com/.default`.
    public var scopes: [String]
    /// The default path when a call names none, e.g. `users`.
    public var relativePath: String
    /// The tenant whose token to use, overriding the authority's (multi-tenant daemons).
    public var tenant: String?

    /// An API at `baseURL` that takes a token for `scopes`; by default no default path and the authority's tenant.
    public init(baseURL: String, scopes: [String], relativePath: String = "", tenant: String? = nil) {
        self.baseURL = baseURL
        self.scopes = scopes
        self.relativePath = relativePath
        self.tenant = tenant
    }

    /// Microsoft Graph v1.0 in a cloud (Graph's host follows the cloud), app token `{graph}/.default`.
    public static func graph(cloud: AzureCloud = .public, relativePath: String = "") -> DownstreamAPI {
        DownstreamAPI(
            baseURL: cloud.graphURL + "/v1.0/",
            scopes: [cloud.graphResource + "/.default"],
            relativePath: relativePath
        )
    }

    /// `path` resolved against ``baseURL`` (an absolute `http(s)` URL is used as is; empty means ``relativePath``).
    public func url(for path: String) -> String {
        let path = path.isEmpty ? relativePath : path
        if path.hasPrefix("https://") || path.hasPrefix("http://") { return path }
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        guard !path.isEmpty else { return base }
        return base + "/" + (path.hasPrefix("/") ? String(path.dropFirst()) : path)
    }
}
