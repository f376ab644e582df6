import Hummingbird
import TesseraValidation

/// Hummingbird's basic context plus the validated caller.
public struct AppTokenRequestContext: AppTokenContext {
    public var coreContext: CoreRequestContextStorage
    public var appToken: ValidatedToken?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
