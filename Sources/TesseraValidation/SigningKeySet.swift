import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization
import TesseraJOSE
import _CryptoExtras

/// A verification key from a JWKS, with the algorithms the policy allows for it (the key fixes the algorithm, never
/// the token) and the issuer it was published for, when the JWKS says.
public struct VerificationKey: Sendable {
    public let kid: String
    public let publicKey: _RSA.Signing.PublicKey
    public let algorithms: Set<JWSAlgorithm>
    public let issuer: String?
}

/// Parses a JWKS strictly: duplicate members rejected; RSA keys of at least 2048 bits for signing; a key's own `alg`
/// must be allowed, else the key is skipped.
public enum JWKSParser {
    public static func parse(_ bytes: [UInt8], allowed: Set<JWSAlgorithm>) throws -> [String: VerificationKey] {
        let document = try StrictJSON.parseObject(bytes)
        guard let entries = document["keys"]?.arrayValue else { throw TokenRejection(.keysUnavailable, "the JWKS has no keys array") }
        var keys: [String: VerificationKey] = [:]
        for entry in entries {
            guard let object = entry.objectValue, let key = key(object, allowed: allowed), !key.kid.isEmpty else { continue }
            keys[key.kid] = key
        }
        return keys
    }

    /// One JWK as a verification key, or `nil` when it may not verify signatures here: not RSA, under 2048 bits,
    /// `use` other than `sig`, `key_ops` without `verify`, or an `alg` outside `allowed`.
    public static func key(_ object: [String: JSONValue], allowed: Set<JWSAlgorithm>) -> VerificationKey? {
        guard object["kty"]?.stringValue == "RSA",
              object["use"].map({ $0.stringValue == "sig" }) ?? true,
              object["key_ops"].map({ $0.arrayValue?.contains(.string("verify")) == true }) ?? true,
              let n = object["n"]?.stringValue.flatMap(lenient), let e = object["e"]?.stringValue.flatMap(lenient),
              let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e), publicKey.keySizeInBits >= 2048
        else { return nil }
        var algorithms = allowed
        if let alg = object["alg"] {
            algorithms = allowed.filter { $0.name == alg.stringValue }
            if algorithms.isEmpty { return nil }
        }
        return VerificationKey(kid: object["kid"]?.stringValue ?? "", publicKey: publicKey, algorithms: algorithms, issuer: object["issuer"]?.stringValue)
    }

    static func lenient(_ text: String) -> [UInt8]? {
        Base64URL.decode(text.trimmingCharacters(in: CharacterSet(charactersIn: "=")))
    }
}

/// Where keys come from, cached: a JWKS URL (or one found by OIDC discovery) or fixed keys. Last-known-good keys
/// survive a JWKS outage; keys are refreshed at least every ``refreshInterval``; an unknown `kid` causes at most one
/// refresh per ``unknownKeyRefreshInterval`` (the validator asks only for tokens whose issuer and tenant passed).
public final class SigningKeySet: Sendable {
    enum Origin: Sendable {
        case fixed
        case provider(@Sendable () async throws -> [UInt8])
        case jwks(String)
        case discovery(String)
    }

    struct State {
        var keys: [String: VerificationKey] = [:]
        var fetchedAt: Date?
        var lastUnknownKeyRefresh: Date?
        var lastAttempt: Date?
        var inFlight: Task<Void, any Error>?
    }

    let origin: Origin
    let allowed: Set<JWSAlgorithm>
    private let state: Mutex<State>
    /// HTTP settings for fetching keys; a client is made per fetch (fetches are rare) so nothing needs shutting down.
    private let http: HTTPClient.Configuration?
    public let refreshInterval: Duration = .seconds(24 * 3600)
    public let unknownKeyRefreshInterval: Duration
    /// Changes whenever the key set changes (the validated-token cache flushes on it).
    private let generationCounter = Atomic<Int>(0)
    public var generation: Int { generationCounter.load(ordering: .acquiring) }

    /// Fixed keys (a JWKS document, e.g. from a file).
    public init(jwks: [UInt8], algorithms: Set<JWSAlgorithm> = [.rs256]) throws {
        self.origin = .fixed
        self.allowed = algorithms
        self.state = Mutex(State(keys: try JWKSParser.parse(jwks, allowed: algorithms), fetchedAt: Date()))
        self.http = nil
        self.unknownKeyRefreshInterval = .seconds(300)
    }

    /// Keys from your code (e.g. an in-process issuer), asked again when stale or for an unknown `kid` (at most once per
    /// `unknownKeyRefreshInterval`).
    public init(algorithms: Set<JWSAlgorithm> = [.rs256], unknownKeyRefreshInterval: Duration = .seconds(300), provider: @escaping @Sendable () async throws -> [UInt8]) {
        self.origin = .provider(provider)
        self.allowed = algorithms
        self.state = Mutex(State())
        self.http = nil
        self.unknownKeyRefreshInterval = unknownKeyRefreshInterval
    }

    /// Keys from a JWKS URL, or from the `jwks_uri` of an OIDC discovery document (`discovery: true`).
    public init(url: String, discovery: Bool = false, algorithms: Set<JWSAlgorithm> = [.rs256], caFile: String? = nil) {
        self.origin = discovery ? .discovery(url) : .jwks(url)
        self.allowed = algorithms
        self.unknownKeyRefreshInterval = .seconds(300)
        self.state = Mutex(State())
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        self.http = configuration
    }

    /// Kept for symmetry with clients that own resources; a key set holds none between fetches.
    public func shutdown() async throws {}

    /// Least time between two fetch attempts, whatever triggers them (staleness, unknown kid, outage).
    public let minimumAttemptInterval: Duration = .seconds(5)

    /// The key for `kid`. Fetches when the set is stale (at most once per ``minimumAttemptInterval``; a stale set keeps
    /// serving meanwhile and through an outage) or, for an unknown `kid` in a fresh set, at most once per
    /// ``unknownKeyRefreshInterval``.
    /// The key named `kid`, fetching the set when it is not known yet (within the refresh limits).
    public func key(_ kid: String, now: Date) async throws(TokenRejection) -> VerificationKey {
        enum Decision { case use(VerificationKey), reject(TokenRejection), fetch(VerificationKey?) }
        let decision: Decision = state.withLock { state in
            let cached = state.keys[kid]
            if case .fixed = origin {
                return cached.map { .use($0) } ?? .reject(TokenRejection(.unknownKey, "no key '\(kid.prefix(64))' in the configured key set"))
            }
            let stale = state.fetchedAt.map { now.timeIntervalSince($0) > refreshInterval.seconds } ?? true
            let attemptedRecently = state.lastAttempt.map { now.timeIntervalSince($0) < minimumAttemptInterval.seconds } ?? false
            if let cached {
                return stale && !attemptedRecently && state.inFlight == nil ? .fetch(cached) : .use(cached)
            }
            if !stale {
                // A fresh set without this kid: the issuer may have rotated; refresh for it at most once per interval.
                let allowed = state.lastUnknownKeyRefresh.map { now.timeIntervalSince($0) >= unknownKeyRefreshInterval.seconds } ?? true
                guard allowed, !attemptedRecently else {
                    return .reject(TokenRejection(.unknownKey, "no key '\(kid.prefix(64))' in the issuer's key set"))
                }
                state.lastUnknownKeyRefresh = now
                return .fetch(nil)
            }
            guard !attemptedRecently || state.inFlight != nil else {
                return .reject(TokenRejection(.keysUnavailable, "the signing keys could not be fetched recently; retrying in a few seconds"))
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
                // Keep last-known-good keys through an outage.
                if let cached { return cached }
                throw TokenRejection(.keysUnavailable, "the signing keys could not be fetched: \(error)")
            }
            if let key = state.withLock({ $0.keys[kid] }) { return key }
            throw TokenRejection(.unknownKey, "no key '\(kid.prefix(64))' in the issuer's key set")
        }
    }

    /// One fetch at a time; its result is stored by the fetch itself (so a late waiter cannot overwrite newer keys), an
    /// empty set never replaces usable keys, and the generation moves only when the keys changed.
    private func refresh(now: Date) async throws {
        let task: Task<Void, any Error> = state.withLock { state in
            if let inFlight = state.inFlight { return inFlight }
            state.lastAttempt = now
            let task = Task {
                defer { self.state.withLock { $0.inFlight = nil } }
                let keys = try await self.fetch()
                guard !keys.isEmpty else { throw TokenRejection(.keysUnavailable, "the key set has no usable keys") }
                let changed: Bool = self.state.withLock { state in
                    let changed = Set(state.keys.map { "\($0.key):\($0.value.publicKey.derRepresentation.base64EncodedString())" })
                        != Set(keys.map { "\($0.key):\($0.value.publicKey.derRepresentation.base64EncodedString())" })
                    state.keys = keys
                    state.fetchedAt = now
                    return changed
                }
                if changed { self.generationCounter.add(1, ordering: .releasing) }
            }
            state.inFlight = task
            return task
        }
        try await task.value
    }

    private func fetch() async throws -> [String: VerificationKey] {
        var url: String
        switch origin {
        case .fixed: return state.withLock { $0.keys }
        case .provider(let provider): return try JWKSParser.parse(try await provider(), allowed: allowed)
        case .jwks(let jwks): url = jwks
        case .discovery(let discovery):
            let document = try StrictJSON.parseObject(try await get(discovery))
            guard let jwksURI = document["jwks_uri"]?.stringValue else { throw TokenRejection(.keysUnavailable, "no jwks_uri in \(discovery)") }
            url = jwksURI
        }
        return try JWKSParser.parse(try await get(url), allowed: allowed)
    }

    private func get(_ url: String) async throws -> [UInt8] {
        guard let http else { return [] }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else { throw TokenRejection(.keysUnavailable, "\(url) answered HTTP \(response.status.code)") }
            let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
            try await client.shutdown()
            return body
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
