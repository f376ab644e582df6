import Hummingbird
import TesseraValidation

/// A request context that can carry the validated caller. Adopt it in your own context, or use
/// ``AppTokenRequestContext``.
public protocol AppTokenContext: RequestContext {
    /// The caller, once ``AppTokenMiddleware`` accepted its token.
    var appToken: ValidatedToken? { get set }
}
