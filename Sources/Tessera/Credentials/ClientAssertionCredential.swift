import Foundation
import TesseraJOSE

/// A client assertion from somewhere else: a pre-signed string, a provider called per request, or a file re-read when
/// it changes (Kubernetes workload identity's `AZURE_FEDERATED_TOKEN_FILE`).
public struct ClientAssertionCredential: ClientCredential, CustomStringConvertible {
    /// Called with the request's context; returns a signed assertion.
    public typealias Provider = @Sendable (CredentialContext) async throws -> String

    private let provider: Provider
    /// `assertion:static:` and the assertion's fingerprint, `assertion:provider:` and the name, or `assertion:file:`
    /// and the path; never the assertion.
    public let identity: String
    /// The ``identity``, with a digest every process computes alike in place of a static assertion's fingerprint
    /// (for shared cache keys only).
    public let sharedCacheIdentity: String

    /// A fixed, pre-signed assertion (it must outlive the daemon's use of it).
    public init(assertion: String) {
        self.provider = { _ in assertion }
        self.identity = "assertion:static:" + secretFingerprint(assertion)
        self.sharedCacheIdentity = "assertion:static:" + sharedSecretDigest(assertion)
    }

    /// An assertion provider called for every token request. `name` identifies it in cache keys and logs.
    public init(name: String = "provider", provider: @escaping Provider) {
        self.provider = provider
        self.identity = "assertion:provider:" + name
        self.sharedCacheIdentity = identity
    }

    /// An assertion read from `path`, re-read whenever the file's modification time or size changes.
    public init(file path: String) {
        let file = FileBackedValue(paths: [path], onReloadFailure: .fail) { () throws -> String in
            guard let data = FileManager.default.contents(atPath: path),
                let content = String(data: data, encoding: .utf8)
            else {
                throw IdentityError(
                    .credentialUnavailable,
                    "the assertion file '\(path)' cannot be read: check the path "
                        + "(AZURE_FEDERATED_TOKEN_FILE) and that the token volume is mounted"
                )
            }
            return content
        }
        self.provider = { _ in try file.current() }
        self.identity = "assertion:file:" + path
        self.sharedCacheIdentity = identity
    }

    /// The provider's assertion, trimmed, as `client_assertion` (jwt-bearer) and marked sensitive; an empty assertion
    /// or a failing provider is ``IdentityError/Code/credentialUnavailable``.
    public func authentication(for context: CredentialContext) async throws -> ClientAuthentication {
        let assertion: String
        do {
            assertion = try await provider(context).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(
                .credentialUnavailable,
                "the client assertion provider (\(identity)) failed: \(type(of: error))"
            )
        }
        guard !assertion.isEmpty else {
            throw IdentityError(.credentialUnavailable, "the client assertion (\(identity)) is empty")
        }
        return ClientAuthentication(
            formFields: [
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion),
            ],
            sensitiveValues: [assertion]
        )
    }

    /// `ClientAssertionCredential(…)` with its ``identity``; never the assertion.
    public var description: String { "ClientAssertionCredential(\(identity))" }
}
