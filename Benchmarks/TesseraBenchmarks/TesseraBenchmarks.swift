// Hot paths against their floor, measured in the same run: run with `swift package benchmark` (see README, Performance).
import Benchmark
import Foundation
import Synchronization
import Tessera
import TesseraJOSE
import TesseraValidation
import _CryptoExtras

/// An upstream that always has a token: the cache is what is measured.
struct StaticTokenSource: TokenSource {
    func token(for request: TokenRequest) async throws -> AccessToken {
        AccessToken(
            token: "eyJ0eXAiOiJKV1QifQ.e30.c2ln",
            expiresOn: Date().addingTimeInterval(3600),
            lifetime: 3600,
            tenant: request.tenant,
            scopes: request.scopes
        )
    }
}

/// An Entra-shaped app token and the key set that verifies it.
struct SignedToken {
    static let issuer = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
    static let audience = "11111111-aaaa-bbbb-cccc-222222222222"
    let token: String
    let key: _RSA.Signing.PublicKey
    let keys: SigningKeySet

    init() throws {
        let certificate = try CertificateFactory.selfSigned(commonName: "benchmark key")
        let now = Double(Int(Date().timeIntervalSince1970))
        let claims: [String: JSONValue] = [
            "aud": .string(Self.audience), "iss": .string(Self.issuer), "iat": .number(now - 60),
            "nbf": .number(now - 60),
            "exp": .number(now + 3600), "azp": "33333333-dddd-eeee-ffff-444444444444", "azpacr": "2", "idtyp": "app",
            "oid": "5e6f7a8b-0000-4000-8000-000000000001", "sub": "5e6f7a8b-0000-4000-8000-000000000001",
            "roles": .array(["Reports.Read.All"]), "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47", "uti": "abc",
            "ver": "2.0",
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let input =
            Base64URL.encode(Array(#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#.utf8)) + "."
            + Base64URL.encode(try encoder.encode(JSONValue.object(claims)))
        let signature = try certificate.privateKey.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        token = input + "." + Base64URL.encode(signature.rawRepresentation)
        key = certificate.privateKey.publicKey
        let primitives = try key.getKeyPrimitives()
        let jwks: [String: Any] = [
            "keys": [
                [
                    "kty": "RSA", "use": "sig", "kid": "k1", "n": Base64URL.encode(primitives.modulus),
                    "e": Base64URL.encode(primitives.publicExponent),
                ]
            ]
        ]
        keys = try SigningKeySet(jwks: Array(try JSONSerialization.data(withJSONObject: jwks)))
    }
}

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .mallocCountTotal, .throughput]
    Benchmark.defaultConfiguration = .init(
        metrics: metrics,
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(3)
    )

    // Cache hit through the public API, against the floor of any cache: a locked dictionary lookup.
    let request = TokenRequest(
        scope: "https://graph.microsoft.com/.default",
        tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47"
    )
    let cache = CachingTokenSource(upstream: StaticTokenSource(), defaultTenant: nil, partition: "benchmark")
    Benchmark("Cache hit: CachingTokenSource.token(for:)") { benchmark in
        _ = try await cache.token(for: request)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try await cache.token(for: request)) }
    }
    // The pre-bound source over the same cache: no key, no look-up while the token is short of its refresh point.
    let bound = BoundTokenSource(request: request, cache: cache)
    Benchmark("Bound hit: BoundTokenSource.token()") { benchmark in
        _ = try await bound.token()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try await bound.token()) }
    }
    let floor = Mutex<[String: AccessToken]>([:])
    Benchmark("Floor: Mutex<[String: AccessToken]> lookup") { benchmark in
        let token = try await StaticTokenSource().token(for: request)
        let key = "https://graph.microsoft.com/.default|72f988bf-86f1-41af-91ab-2d7cd011db47"
        floor.withLock { $0[key] = token }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(floor.withLock { $0[key] }) }
    }

    // Incoming-token validation (every check of the Entra policy) against the RSA signature verification inside it.
    let signed = try! SignedToken()
    var policy = ValidationPolicy(issuer: .exact(SignedToken.issuer), audiences: [SignedToken.audience])
    policy.roles = .allOf(["Reports.Read.All"])
    let validator = TokenValidator(policy: policy, keys: signed.keys)
    Benchmark(
        "Validate an app token: TokenValidator.validate",
        configuration: .init(metrics: metrics, scalingFactor: .one)
    ) { benchmark in
        _ = try await validator.validate(signed.token)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try await validator.validate(signed.token)) }
    }
    Benchmark("Floor: RS256 verify (JWSVerifier)", configuration: .init(metrics: metrics, scalingFactor: .one)) {
        benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(JWSVerifier.verify(signed.token, publicKey: signed.key, algorithm: .rs256))
        }
    }
}
