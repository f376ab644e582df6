import Foundation

/// A Microsoft identity platform instance: the public cloud, a national cloud, or a custom host (the emulator).
public struct AzureCloud: Sendable, Hashable, CustomStringConvertible {
    /// Scheme, host, optional port and optional path prefix, without a trailing slash.
    public let baseURL: String

    /// `https://login.microsoftonline.com`.
    public static let `public` = AzureCloud(uncheckedBaseURL: "https://login.microsoftonline.com")
    /// `https://login.microsoftonline.us` (Azure US Government).
    public static let usGovernment = AzureCloud(uncheckedBaseURL: "https://login.microsoftonline.us")
    /// `https://login.chinacloudapi.cn` (Azure operated by 21Vianet).
    public static let china = AzureCloud(uncheckedBaseURL: "https://login.chinacloudapi.cn")

    private init(uncheckedBaseURL: String) { self.baseURL = uncheckedBaseURL }

    /// A custom host such as the emulator (`https://localhost:8443`). `http://` is accepted for loopback hosts only.
    public static func custom(_ url: String) throws(IdentityError) -> AzureCloud {
        let endpoint = try EndpointURL(url, what: "authority host")
        return AzureCloud(uncheckedBaseURL: endpoint.string)
    }

    /// A cloud by name (`public`, `usgovernment`, `china`, as azure-identity's `AzureAuthorityHosts`) or by URL.
    public static func named(_ nameOrURL: String) throws(IdentityError) -> AzureCloud {
        switch nameOrURL.lowercased().filter({ $0 != "-" && $0 != "_" }) {
        case "public", "azurepubliccloud", "azurecloud", "global": return .public
        case "usgovernment", "usgov", "azureusgovernment": return .usGovernment
        case "china", "azurechina", "azurechinacloud": return .china
        default:
            let url = nameOrURL.contains("://") ? nameOrURL : "https://" + nameOrURL
            return try custom(url)
        }
    }

    /// The base URL.
    public var description: String { baseURL }

    /// Microsoft Graph's URL in this cloud (a custom host such as the emulator serves Graph itself).
    public var graphURL: String {
        switch baseURL {
        case Self.public.baseURL: return "https://graph.microsoft.com"
        case Self.usGovernment.baseURL: return "https://graph.microsoft.us"
        case Self.china.baseURL: return "https://microsoftgraph.chinacloudapi.cn"
        default: return baseURL
        }
    }

    /// Whether `url` is Microsoft Graph (in any national cloud, or this cloud's own Graph): the only API a Graph scope
    /// may be assumed for when none is configured.
    public func isGraph(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let host = components.encodedHost?.lowercased() else {
            return false
        }
        let known = [
            "graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn",
        ]
        if components.scheme?.lowercased() == "https", known.contains(host) { return true }
        guard let own = URLComponents(string: graphURL), own.encodedHost?.lowercased() == host,
            own.port == components.port,
            own.scheme == components.scheme
        else { return false }
        return components.path.hasPrefix("/v1.0") || components.path.hasPrefix("/beta")
    }

    /// Graph's resource in this cloud, whose `/.default` scope its tokens carry (the emulator issues public Graph's).
    public var graphResource: String {
        switch baseURL {
        case Self.usGovernment.baseURL, Self.china.baseURL: return graphURL
        default: return "https://graph.microsoft.com"
        }
    }
}
