import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import TesseraHummingbird
import TesseraJOSE
import TesseraValidation

/// Builds the Graph validator once the emulator knows its base URL (the port is bound after the routes are made):
/// issuer `{base}/{tenantid}/` (v1, as Graph tokens are), audiences Graph's identifier and client ID, keys from the
/// emulator's own signing keys.
final class LazyGraphValidator: AccessTokenValidator {
    private let keys: SigningKeys
    private let base: BaseURLs
    private let clock: @Sendable () -> Date
    private let built = Mutex<TokenValidator?>(nil)
    private let keySet: SigningKeySet

    init(keys: SigningKeys, base: BaseURLs, now: @escaping @Sendable () -> Date) {
        self.keys = keys
        self.base = base
        self.clock = now
        self.keySet = SigningKeySet(unknownKeyRefreshInterval: .seconds(1)) { [base, keys] in
            Array(try JSONSerialization.data(withJSONObject: try keys.jwks(issuer: "\(base.primary)/{tenantid}/")))
        }
    }

    var validator: TokenValidator {
        built.withLock { built in
            if let built { return built }
            var policy = ValidationPolicy(
                issuer: .multiTenant(template: "\(base.primary)/{tenantid}/", allowedTenants: nil),
                audiences: [Directory.graphIdentifier, Directory.graphClientID]
            )
            policy.now = clock
            let validator = TokenValidator(policy: policy, keys: keySet)
            built = validator
            return validator
        }
    }

    func validate(_ token: String) async throws(TokenRejection) -> ValidatedToken {
        try await validator.validate(token)
    }
    var keyGeneration: Int { keySet.generation }
    func now() -> Date { clock() }
}
