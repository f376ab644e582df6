import Hummingbird
import TesseraValidation

/// Hummingbird's basic context plus the validated caller.
public struct AppTokenRequestContext: AppTokenContext {
    /// Hummingbird's core request context storage.
    public var coreContext: CoreRequestContextStorage
    /// The caller, once ``AppTokenMiddleware`` accepted its token; `nil` before.
    public var appToken: ValidatedToken?

    /// A context for a new request, with no caller yet.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
