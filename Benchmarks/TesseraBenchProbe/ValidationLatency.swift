import ArgumentParser
import Crypto
import Foundation
import TesseraHummingbird
import TesseraJOSE
import TesseraValidation
import _CryptoExtras

/// Validation of one RS256 token (every check of the Entra policy) against a raw swift-crypto RSA verification of the
/// same token, a malformed token's rejection and a repeat through the validated-token cache.
struct ValidationLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "TokenValidator.validate, raw RSA-2048 verify, malformed rejection, validated-token cache hit."
    )

    @Option(help: "A file holding the RS256 token.") var token: String
    @Option(help: "A file holding the JWKS that verifies it.") var jwks: String
    @Option(help: "The expected issuer.") var issuer: String
    @Option(help: "The expected audience.") var audience: String
    @Option(help: "A role the token must carry (repeatable).") var role: [String] = []
    @Option(help: "Validations timed (raw verifies the same; malformed and cached 100× as many).")
    var iterations = 20_000
    @Option(help: "Time only this path: validate, raw, malformed or cached (for callgrind's per-path counts).")
    var only: Path?

    enum Path: String, ExpressibleByArgument, CaseIterable {
        case validate, raw, malformed, cached
    }

    func timed(_ path: Path) -> Bool { only == nil || only == path }

    func run() async throws {
        let token = try String(contentsOfFile: self.token, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        let keys = try SigningKeySet(jwks: Array(try Data(contentsOf: URL(fileURLWithPath: jwks))))
        var policy = ValidationPolicy(issuer: .exact(issuer), audiences: [audience])
        if !role.isEmpty { policy.roles = .allOf(Set(role)) }
        let validator = TokenValidator(policy: policy, keys: keys)
        _ = try await validator.validate(token)

        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        let signingInput = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        let signature = _RSA.Signing.RSASignature(rawRepresentation: Base64URL.decode(String(parts[2]))!)
        let publicKey = try Self.publicKey(jwks: jwks)
        guard publicKey.isValidSignature(signature, for: signingInput, padding: .insecurePKCS1v1_5) else {
            throw ValidationError("the token's signature does not verify with the JWKS key")
        }
        let malformed = "eyJhbGciOiJSUzI1NiJ9.@@@.x"
        let cache = ValidatedTokenCache()
        _ = try await cache.validate(token, with: validator)

        let batch = 10
        var validate = Samples()
        var raw = Samples()
        var rejected = Samples()
        var cached = Samples()
        let rounds = 5
        for _ in 0..<rounds {
            if timed(.validate) {
                try await validate.measure(batches: iterations / batch / rounds, batchSize: batch) {
                    blackHole(try await validator.validate(token))
                }
            }
            if timed(.raw) {
                await raw.measure(batches: iterations / batch / rounds, batchSize: batch) {
                    blackHole(publicKey.isValidSignature(signature, for: signingInput, padding: .insecurePKCS1v1_5))
                }
            }
            if timed(.malformed) {
                await rejected.measure(batches: iterations * 10 / batch / rounds, batchSize: batch) {
                    blackHole(try? await validator.validate(malformed))
                }
            }
            if timed(.cached) {
                try await cached.measure(batches: iterations * 10 / batch / rounds, batchSize: batch) {
                    blackHole(try await cache.validate(token, with: validator))
                }
            }
        }
        try printJSON([
            "validate_p50_ns": validate.percentile(0.5), "validate_p99_ns": validate.percentile(0.99),
            "raw_verify_p50_ns": raw.percentile(0.5), "raw_verify_p99_ns": raw.percentile(0.99),
            "malformed_p50_ns": rejected.percentile(0.5), "malformed_p99_ns": rejected.percentile(0.99),
            "cached_p50_ns": cached.percentile(0.5), "cached_p99_ns": cached.percentile(0.99),
            "token_bytes": token.utf8.count, "iterations": iterations,
        ])
    }

    /// The first RSA key of a JWKS, for the raw verification.
    static func publicKey(jwks path: String) throws -> _RSA.Signing.PublicKey {
        let document = try StrictJSON.parseObject(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        guard let key = document["keys"]?.arrayValue?.first?.objectValue,
            let n = key["n"]?.stringValue.flatMap({ Base64URL.decode($0) }),
            let e = key["e"]?.stringValue.flatMap({ Base64URL.decode($0) })
        else { throw ValidationError("the JWKS holds no RSA key") }
        return try _RSA.Signing.PublicKey(n: n, e: e)
    }
}
