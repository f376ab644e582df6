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
    /// The key ID (`kid`).
    public let kid: String
    /// The RSA public key (at least 2048 bits).
    public let publicKey: _RSA.Signing.PublicKey
    /// The algorithms it may verify: those the key set allows (its `algorithms:`), narrowed to the JWK's own `alg`.
    public let algorithms: Set<JWSAlgorithm>
    /// The issuer the JWKS publishes it for (its `issuer` member, which may hold `{tenantid}`); `nil` when not given
    /// (a key whose `issuer` is present but not a string is not used at all).
    public let issuer: String?
}
