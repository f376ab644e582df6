import Foundation
import TesseraJOSE

/// What token is wanted.
///
/// A request normalizes its scopes and tenant for the cache when it is made (and when they change), not at every
/// look-up: keep a request and reuse it, and a cache hit only compares what was worked out once.
public struct TokenRequest: Sendable, Hashable {
    /// The scopes; for Microsoft exactly one `{resource}/.default`.
    public var scopes: [String] {
        didSet { cacheKeyParts = CacheKeyParts(scopes: scopes, tenant: tenant) }
    }
    /// The tenant for this request, overriding the authority's (one multi-tenant app object serving many tenants).
    public var tenant: String? {
        didSet { cacheKeyParts = CacheKeyParts(scopes: scopes, tenant: tenant) }
    }
    /// A claims request (JSON), e.g. a claims challenge from an API. Sent as the `claims` form field.
    public var claims: String?
    /// Skip any cache and ask the identity provider.
    public var forceRefresh: Bool
    /// The scopes and tenant as the cache keys them, worked out once.
    private(set) var cacheKeyParts: CacheKeyParts

    /// A request for `scopes`; by default for the authority's tenant, with no claims request, cache allowed.
    public init(scopes: [String], tenant: String? = nil, claims: String? = nil, forceRefresh: Bool = false) {
        self.scopes = scopes
        self.tenant = tenant
        self.claims = claims
        self.forceRefresh = forceRefresh
        self.cacheKeyParts = CacheKeyParts(scopes: scopes, tenant: tenant)
    }

    /// A request for one scope (`{resource}/.default` for Microsoft).
    public init(scope: String, tenant: String? = nil, claims: String? = nil, forceRefresh: Bool = false) {
        self.init(scopes: [scope], tenant: tenant, claims: claims, forceRefresh: forceRefresh)
    }

    /// Equal when the scopes, tenant, claims and forced refresh are (what is derived from them is not compared).
    public static func == (left: TokenRequest, right: TokenRequest) -> Bool {
        left.scopes == right.scopes && left.tenant == right.tenant && left.claims == right.claims
            && left.forceRefresh == right.forceRefresh
    }

    /// Hashes what ``==`` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(scopes)
        hasher.combine(tenant)
        hasher.combine(claims)
        hasher.combine(forceRefresh)
    }
}

/// A request's scopes and tenant as a cache keys them: scopes lower-cased, sorted and space-joined, the tenant
/// lower-cased, each with its `hashValue` (this process's seeded SipHash, so a look-up hashes two integers, and
/// collisions are as hard to make as with the strings themselves).
struct CacheKeyParts: Sendable {
    let scopes: String
    let scopesHash: Int
    /// `nil`: the cache's default tenant.
    let tenant: String?
    let tenantHash: Int

    init(scopes: [String], tenant: String?) {
        self.scopes =
            scopes.count == 1
            ? Self.lowercased(scopes[0]) : scopes.map { $0.lowercased() }.sorted().joined(separator: " ")
        self.tenant = tenant.map(Self.lowercased)
        scopesHash = self.scopes.hashValue
        tenantHash = self.tenant?.hashValue ?? 0
    }

    /// Lower-cases only when needed: the usual already-lower-case scope and tenant are shared, not copied.
    static func lowercased(_ text: String) -> String {
        text.utf8.contains(where: { $0 &- UInt8(ascii: "A") < 26 }) ? text.lowercased() : text
    }
}
