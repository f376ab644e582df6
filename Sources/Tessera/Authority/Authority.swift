import Foundation

/// Where tokens come from: a Microsoft identity platform tenant, or any OAuth 2.0 / OpenID Connect issuer.
///
/// For Microsoft the token endpoint is built from the configured host and tenant, never taken from server metadata
/// (the 2025 audience-injection class, CVE-2025-27370/27371). For a generic issuer it comes from discovery, used only
/// when the document's `issuer` equals the configured issuer and the endpoint shares its origin; otherwise configure
/// it explicitly.
public struct Authority: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case microsoft(cloud: AzureCloud, tenant: String)
        case oidc(issuer: EndpointURL, tokenEndpoint: EndpointURL?)
    }

    let kind: Kind

    /// A Microsoft tenant by GUID or verified domain. `common`, `organizations` and `consumers` are accepted as a
    /// default for an app object that names the tenant per request; a token request that would use one of them is
    /// refused.
    public static func microsoft(tenant: String, cloud: AzureCloud = .public) throws(IdentityError) -> Authority {
        try TenantName.checkSyntax(tenant)
        return Authority(kind: .microsoft(cloud: cloud, tenant: tenant))
    }

    /// A Microsoft authority URL as MSAL takes it: `https://login.microsoftonline.com/{tenant}` (a trailing `/v2.0`
    /// is tolerated).
    public static func microsoft(url: String) throws(IdentityError) -> Authority {
        let endpoint = try EndpointURL(url, what: "authority")
        var path = endpoint.components.path.split(separator: "/").map(String.init)
        if path.last?.lowercased() == "v2.0" { path.removeLast() }
        guard let tenant = path.last else {
            throw IdentityError(
                .invalidConfiguration,
                "the authority '\(url)' names no tenant; expected https://login.microsoftonline.com/{tenant-id}"
            )
        }
        var base = endpoint.components
        base.path = path.dropLast().isEmpty ? "" : "/" + path.dropLast().joined(separator: "/")
        return try microsoft(tenant: tenant, cloud: try AzureCloud.custom(base.string ?? url))
    }

    /// A generic OpenID Connect issuer. Without `tokenEndpoint`, the endpoint is discovered from
    /// `{issuer}/.well-known/openid-configuration` and checked as described above.
    public static func oidc(issuer: String, tokenEndpoint: String? = nil) throws(IdentityError) -> Authority {
        let issuerURL = try EndpointURL(issuer, what: "issuer")
        let endpoint = try tokenEndpoint.map { text throws(IdentityError) in
            try EndpointURL(text, what: "token endpoint")
        }
        return Authority(kind: .oidc(issuer: issuerURL, tokenEndpoint: endpoint))
    }

    /// Whether this is a Microsoft identity platform authority.
    public var isMicrosoft: Bool {
        if case .microsoft = kind { return true }
        return false
    }

    /// The Microsoft cloud of this authority; `nil` for a generic OpenID Connect issuer.
    public var cloud: AzureCloud? {
        if case .microsoft(let cloud, _) = kind { return cloud }
        return nil
    }

    /// The configured default tenant (Microsoft only).
    public var defaultTenant: String? {
        if case .microsoft(_, let tenant) = kind { return tenant }
        return nil
    }

    /// The host tokens come from (part of the cache key).
    public var host: String {
        switch kind {
        case .microsoft(let cloud, _): return (try? EndpointURL(cloud.baseURL, what: "authority").host) ?? cloud.baseURL
        case .oidc(let issuer, _): return issuer.host
        }
    }

    /// What every cache key of this authority starts with: the whole base URL (scheme, host, port and path) for
    /// Microsoft, the issuer (and a configured token endpoint) otherwise — two authorities on one host never share.
    var cacheIdentity: String {
        switch kind {
        case .microsoft(let cloud, _): return cloud.baseURL
        case .oidc(let issuer, let endpoint): return issuer.string + (endpoint.map { " " + $0.string } ?? "")
        }
    }

    /// The cloud's base URL and the tenant for Microsoft (`https://login.microsoftonline.com/{tenant}`), else the
    /// issuer URL.
    public var description: String {
        switch kind {
        case .microsoft(let cloud, let tenant): return "\(cloud.baseURL)/\(tenant)"
        case .oidc(let issuer, _): return issuer.string
        }
    }
}
