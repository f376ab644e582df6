import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE
import _CryptoExtras

/// Where keys come from, cached: a JWKS URL (or one found by OIDC discovery) or fixed keys. Last-known-good keys
/// survive a JWKS outage; keys are refreshed at least every ``refreshInterval``; an unknown `kid` causes at most one
/// refresh per ``unknownKeyRefreshInterval`` (the validator asks only for tokens whose issuer and tenant passed).
/// Keys are looked up by the `kid`'s bytes; a `kid` the JWKS publishes twice names no key (``JWKSParser``).
public final class SigningKeySet: Sendable {
    enum Origin: Sendable {
        case fixed
        case provider(@Sendable () async throws -> [UInt8])
        case jwks(String)
        case discovery(String)
    }

    struct State {
        var keys: [ExactString: VerificationKey] = [:]
        /// `kid`s the last parsed JWKS published more than once: no key is used for them.
        var duplicateKids: Set<ExactString> = []
        var fetchedAt: Date?
        var lastUnknownKeyRefresh: Date?
        var lastAttempt: Date?
        var inFlight: SharedResult<Void>?
    }

    let origin: Origin
    let allowed: Set<JWSAlgorithm>
    /// The issuer a discovery document must name (`nil`: the one its URL implies).
    let expectedIssuer: String?
    /// Whether keys may come over plain HTTP from a host that is not loopback.
    let allowInsecureURL: Bool
    private let state: Mutex<State>
    /// HTTP settings for fetching keys; a client is made per fetch (fetches are rare) so nothing needs shutting down.
    private let http: HTTPClient.Configuration?
    /// Age at which fetched keys are stale and fetched again: 24 hours (fixed keys never are).
    public let refreshInterval: Duration = .seconds(24 * 3600)
    /// Least time between two fetches for an unknown `kid`. Default 5 minutes.
    public let unknownKeyRefreshInterval: Duration
    /// Changes whenever the key set changes (the validated-token cache flushes on it).
    private let generationCounter = Atomic<Int>(0)
    /// Goes up whenever a fetch changes the keys: caches of accepted tokens flush on it.
    public var generation: Int { generationCounter.load(ordering: .acquiring) }

    /// Fixed keys (a JWKS document, e.g. from a file).
    public init(jwks: [UInt8], algorithms: Set<JWSAlgorithm> = [.rs256]) throws {
        self.origin = .fixed
        self.allowed = algorithms
        self.expectedIssuer = nil
        self.allowInsecureURL = false
        let parsed = try JWKSParser.parseKeys(jwks, allowed: algorithms)
        self.state = Mutex(State(keys: parsed.keys, duplicateKids: parsed.duplicateKids, fetchedAt: Date()))
        self.http = nil
        self.unknownKeyRefreshInterval = .seconds(300)
    }

    /// Keys from your code (e.g. an in-process issuer), asked again when stale or for an unknown `kid` (at most once
    /// per `unknownKeyRefreshInterval`).
    public init(
        algorithms: Set<JWSAlgorithm> = [.rs256],
        unknownKeyRefreshInterval: Duration = .seconds(300),
        provider: @escaping @Sendable () async throws -> [UInt8]
    ) {
        self.origin = .provider(provider)
        self.allowed = algorithms
        self.expectedIssuer = nil
        self.allowInsecureURL = false
        self.state = Mutex(State())
        self.http = nil
        self.unknownKeyRefreshInterval = unknownKeyRefreshInterval
    }

    /// Keys from a JWKS URL, or from the `jwks_uri` of an OIDC discovery document (`discovery: true`).
    ///
    /// Keys are fetched only over `https`, or `http` to a loopback host (`localhost`, `127.0.0.0/8`, `::1`) — the
    /// JWKS URL, the discovery URL and the `jwks_uri` a discovery document names alike —, unless `allowInsecureURL`:
    /// whoever answers a plain-HTTP key fetch could forge every token. With `issuer` (give the policy's issuer or its
    /// `{tenantid}` template) a discovery document naming another issuer is refused; a `{tenantid}` path segment on
    /// either side stands for one tenant (a template policy with a tenant's document, a tenant's policy with Entra's
    /// `common` or `organizations` document). A v1 policy (`https://sts.windows.net/{tenantid}/`) needs the v1 document.
    public init(
        url: String,
        discovery: Bool = false,
        algorithms: Set<JWSAlgorithm> = [.rs256],
        caFile: String? = nil,
        issuer: String? = nil,
        allowInsecureURL: Bool = false
    ) {
        self.origin = discovery ? .discovery(url) : .jwks(url)
        self.allowed = algorithms
        self.expectedIssuer = issuer
        self.allowInsecureURL = allowInsecureURL
        self.unknownKeyRefreshInterval = .seconds(300)
        self.state = Mutex(State())
        var tls = TLSConfiguration.makeClientConfigurationWithSystemRoots()
        if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: .seconds(5), read: .seconds(10))
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        self.http = configuration
    }

    /// The key fetch shared by concurrent validations, a task owned here.
    private let tasks = OwnedTasks()

    /// Cancels and awaits a key fetch in flight; later fetches fail (the keys held keep serving). Call it when the
    /// API stops.
    public func shutdown() async throws {
        await tasks.shutdown()
    }

    /// Least time between two fetch attempts, whatever triggers them (staleness, unknown kid, outage).
    public let minimumAttemptInterval: Duration = .seconds(5)

    /// The key for `kid`. Fetches when the set is stale (at most once per ``minimumAttemptInterval``; a stale set keeps
    /// serving meanwhile and through an outage) or, for an unknown `kid` in a fresh set, at most once per
    /// ``unknownKeyRefreshInterval``.
    public func key(_ kid: String, now: Date) async throws(TokenRejection) -> VerificationKey {
        enum Decision {
            case use(VerificationKey)
            case reject(TokenRejection)
            case fetch(VerificationKey?)
        }
        let id = ExactString(kid)
        let decision: Decision = state.withLock { state in
            let cached = state.keys[id]
            if case .fixed = origin {
                return cached.map { .use($0) } ?? .reject(Self.unknown(kid, state, "the configured key set"))
            }
            let stale = state.fetchedAt.map { now.timeIntervalSince($0) > refreshInterval.seconds } ?? true
            let attemptedRecently =
                state.lastAttempt.map { now.timeIntervalSince($0) < minimumAttemptInterval.seconds } ?? false
            if let cached {
                return stale && !attemptedRecently && state.inFlight == nil ? .fetch(cached) : .use(cached)
            }
            if !stale {
                // A fresh set without this kid: the issuer may have rotated; refresh for it at most once per interval.
                let allowed =
                    state.lastUnknownKeyRefresh.map { now.timeIntervalSince($0) >= unknownKeyRefreshInterval.seconds }
                    ?? true
                guard allowed, !attemptedRecently else {
                    return .reject(Self.unknown(kid, state, "the issuer's key set"))
                }
                state.lastUnknownKeyRefresh = now
                return .fetch(nil)
            }
            guard !attemptedRecently || state.inFlight != nil else {
                return .reject(
                    TokenRejection(
                        .keysUnavailable,
                        "the signing keys could not be fetched recently; retrying in a few seconds"
                    )
                )
            }
            return .fetch(nil)
        }
        switch decision {
        case .use(let key): return key
        case .reject(let rejection): throw rejection
        case .fetch(let cached):
            do {
                try await refresh(now: now)
            } catch {
                // The validating request was cancelled (its client left): not an outage.
                if Task.isCancelled { throw TokenRejection(.keysUnavailable, "the validation was cancelled") }
                // Keep last-known-good keys through an outage.
                if let cached { return cached }
                throw TokenRejection(.keysUnavailable, "the signing keys could not be fetched: \(error)")
            }
            let found = state.withLock { state -> Result<VerificationKey, TokenRejection> in
                if let key = state.keys[id] { return .success(key) }
                return .failure(Self.unknown(kid, state, "the issuer's key set"))
            }
            return try found.get()
        }
    }

    /// The rejection for a `kid` without a key in `state`, saying when the JWKS publishes it twice.
    private static func unknown(_ kid: String, _ state: State, _ set: String) -> TokenRejection {
        guard state.duplicateKids.contains(ExactString(kid)) else {
            return TokenRejection(.unknownKey, "no key '\(kid.prefix(64))' in \(set)")
        }
        return TokenRejection(
            .unknownKey,
            "\(set) publishes kid '\(kid.prefix(64))' more than once, so no key is used for it; the issuer must give "
                + "each key its own kid"
        )
    }

    /// One fetch at a time; its result is stored by the fetch itself (so a late waiter cannot overwrite newer keys), an
    /// empty set never replaces usable keys, and the generation moves only when the keys changed.
    private func refresh(now: Date) async throws {
        let (shared, start): (SharedResult<Void>, Bool) = state.withLock { state in
            if let inFlight = state.inFlight { return (inFlight, false) }
            state.lastAttempt = now
            let shared = SharedResult<Void>()
            state.inFlight = shared
            return (shared, true)
        }
        if start {
            let started = tasks.start {
                let result: Result<Void, any Error>
                do {
                    try await self.fetchAndStore(now: now)
                    result = .success(())
                } catch {
                    // Cancelled by shutdown(): the waiters were not, so they learn why.
                    result = .failure(
                        error is CancellationError && self.tasks.isClosed
                            ? TokenRejection(.keysUnavailable, "the key set was shut down") : error
                    )
                }
                self.state.withLock { $0.inFlight = nil }
                shared.finish(result)
            }
            if !started {
                state.withLock { $0.inFlight = nil }
                shared.finish(.failure(TokenRejection(.keysUnavailable, "the key set was shut down")))
            }
        }
        try await shared.value()
    }

    /// One fetch; stores a non-empty set and moves the generation when the keys changed.
    private func fetchAndStore(now: Date) async throws {
        let parsed = try await fetch()
        guard !parsed.keys.isEmpty else {
            throw TokenRejection(
                .keysUnavailable,
                parsed.duplicateKids.isEmpty
                    ? "the key set has no usable keys"
                    : "the key set has no usable keys (kids published more than once are not used)"
            )
        }
        /// Each key as its kid's bytes, a 0 and its DER: what must stay the same for cached tokens to stay valid.
        func fingerprints(_ keys: [ExactString: VerificationKey]) -> Set<[UInt8]> {
            Set(
                keys.map { entry -> [UInt8] in
                    var bytes = Array(entry.key.string.utf8)
                    bytes.append(0)
                    bytes.append(contentsOf: entry.value.publicKey.derRepresentation)
                    return bytes
                }
            )
        }
        let changed: Bool = state.withLock { state in
            let changed = fingerprints(state.keys) != fingerprints(parsed.keys)
            state.keys = parsed.keys
            state.duplicateKids = parsed.duplicateKids
            state.fetchedAt = now
            return changed
        }
        if changed { generationCounter.add(1, ordering: .releasing) }
    }

    private func fetch() async throws -> JWKSParser.Keys {
        var url: String
        switch origin {
        case .fixed: return state.withLock { JWKSParser.Keys(keys: $0.keys, duplicateKids: $0.duplicateKids) }
        case .provider(let provider): return try JWKSParser.parseKeys(try await provider(), allowed: allowed)
        case .jwks(let jwks): url = try checked(jwks, what: "the JWKS URL")
        case .discovery(let discovery):
            let document = try StrictJSON.parseObject(try await get(try checked(discovery, what: "the discovery URL")))
            let named = document["issuer"]?.stringValue ?? ""
            guard Self.issuer(named, matches: expectedIssuer) else {
                throw TokenRejection(
                    .keysUnavailable,
                    "the discovery document \(discovery) names issuer '\(named.prefix(200))', not "
                        + "'\(expectedIssuer ?? "")': its keys are not used"
                )
            }
            guard let jwksURI = document["jwks_uri"]?.stringValue else {
                throw TokenRejection(.keysUnavailable, "no jwks_uri in \(discovery)")
            }
            url = try checked(jwksURI, what: "the jwks_uri of \(discovery)")
        }
        return try JWKSParser.parseKeys(try await get(url), allowed: allowed)
    }

    /// `url` when keys may be fetched from it, else the rejection that says why and how to allow it.
    private func checked(_ url: String, what: String) throws(TokenRejection) -> String {
        guard allowInsecureURL || Self.isSecureKeyURL(url) else {
            throw TokenRejection(
                .keysUnavailable,
                "\(what) '\(url.prefix(200))' is not https: keys are fetched only over https, or http to a loopback host "
                    + "(allowInsecureURL; tessera validate --allow-insecure-key-url)"
            )
        }
        return url
    }

    /// `https`, or `http` to a loopback host (`localhost`, `127.0.0.0/8`, `::1`).
    package static func isSecureKeyURL(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let host = components.encodedHost?.lowercased() else {
            return false
        }
        switch components.scheme?.lowercased() {
        case "https": return !host.isEmpty
        case "http": return LoopbackHost.contains(host)
        default: return false
        }
    }

    /// Whether a discovery document's `issuer` is the expected one (`nil`: any). Compared segment by segment after one
    /// trailing slash: equal, or a path segment that is exactly `{tenantid}` on one side standing for one non-empty
    /// segment on the other (a policy template and a tenant's document, or a `common` document and a tenant's policy).
    package static func issuer(_ named: String, matches expected: String?) -> Bool {
        guard let expected else { return true }
        func segments(_ text: String) -> [Substring] {
            (text.hasSuffix("/") ? text.dropLast() : Substring(text)).split(
                separator: "/",
                omittingEmptySubsequences: false
            )
        }
        let document = segments(named)
        let wanted = segments(expected)
        guard !named.isEmpty, document.count == wanted.count else { return false }
        return zip(document, wanted).enumerated().allSatisfy { index, pair in
            if Array(pair.0.utf8) == Array(pair.1.utf8) { return true }
            // Only path segments (after scheme, empty and host) may be the template's.
            guard index >= 3 else { return false }
            return (pair.0.utf8Equals("{tenantid}") && !pair.1.isEmpty)
                || (pair.1.utf8Equals("{tenantid}") && !pair.0.isEmpty)
        }
    }

    private func get(_ url: String) async throws -> [UInt8] {
        guard let http else { return [] }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else {
                throw TokenRejection(.keysUnavailable, "\(url) answered HTTP \(response.status.code)")
            }
            let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
            try await client.shutdown()
            return body
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
