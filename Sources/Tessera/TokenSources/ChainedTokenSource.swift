import CoreMetrics
import Foundation
import Logging
import Synchronization

/// Tries token sources in order until one works, then keeps using it — Azure Identity's `DefaultAzureCredential`
/// for daemons. A step that is not configured or not available here (``IdentityError/Code/credentialUnavailable``)
/// passes to the next; a configured step that fails otherwise (a wrong secret) stops the chain with its error. When
/// no step works, one error lists what each tried and why it failed.
///
/// ```swift
/// let tokens = try ChainedTokenSource.environment()   // environment → workload identity → managed identity
/// let token = try await tokens.token(scope: "https://graph.microsoft.com/.default")
/// ```
public final class ChainedTokenSource: TokenSource {
    /// One way of getting tokens, made on first use.
    public struct Step: Sendable {
        /// Names the step in logs, errors and ``ChainedTokenSource/chosen``; unique within a chain (made sources are
        /// kept by name).
        public let name: String
        let make: @Sendable () throws -> (source: any TokenSource, shutdown: @Sendable () async throws -> Void)

        /// - Parameter make: the source, or throw ``IdentityError/Code/credentialUnavailable`` naming what is missing.
        public init(
            name: String,
            make:
                @escaping @Sendable () throws -> (source: any TokenSource, shutdown: @Sendable () async throws -> Void)
        ) {
            self.name = name
            self.make = make
        }
    }

    /// The steps, tried in this order.
    public let steps: [Step]
    let logger: Logger
    private let state = Mutex<
        (
            chosen: (name: String, source: any TokenSource)?, made: [String: any TokenSource],
            shutdowns: [@Sendable () async throws -> Void]
        )
    >((nil, [:], []))

    /// A chain of `steps`, tried in order. Logs go nowhere by default.
    public init(_ steps: [Step], logger: Logger = Logger(label: "tessera", factory: { _ in SwiftLogNoOpLogHandler() }))
    {
        self.steps = steps
        self.logger = logger
    }

    /// The step that worked, once one has.
    public var chosen: String? { state.withLock { $0.chosen?.name } }

    /// A token from the step chosen earlier, else from the first step that is not
    /// ``IdentityError/Code/credentialUnavailable`` (which is then chosen); any other error stops the chain.
    public func token(for request: TokenRequest) async throws -> AccessToken {
        if let chosen = state.withLock({ $0.chosen }) { return try await chosen.source.token(for: request) }
        var reasons: [String] = []
        for step in steps {
            do {
                let source = try source(of: step)
                let token = try await source.token(for: request)
                state.withLock { if $0.chosen == nil { $0.chosen = (step.name, source) } }
                logger.info("credential chain: using \(step.name)", metadata: ["skipped": "\(reasons.count)"])
                return token
            } catch let error as IdentityError where error.code == .credentialUnavailable {
                reasons.append("\(step.name): \(error.message)")
                logger.debug("credential chain: \(step.name) unavailable", metadata: ["reason": "\(error.message)"])
            }
        }
        throw IdentityError(
            .credentialUnavailable,
            "no credential in the chain worked; tried, in order:\n"
                + reasons.map { "  - " + $0 }.joined(separator: "\n")
                + "\nConfigure one of them (see README, Credentials), or narrow the chain with AZURE_TOKEN_CREDENTIALS"
        )
    }

    private func source(of step: Step) throws -> any TokenSource {
        if let made = state.withLock({ $0.made[step.name] }) { return made }
        let made = try step.make()
        state.withLock {
            $0.made[step.name] = made.source
            $0.shutdowns.append(made.shutdown)
        }
        return made.source
    }

    /// Shuts down every source the chain made.
    public func shutdown() async throws {
        for shutdown in state.withLock({ $0.shutdowns }) { try await shutdown() }
    }
}
