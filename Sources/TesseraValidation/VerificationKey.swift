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
