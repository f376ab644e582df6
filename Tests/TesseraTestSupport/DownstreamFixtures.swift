import Foundation
import Logging
import Synchronization
import Tessera
import TesseraEmulator
import TesseraJOSE
import Testing

/// Waits recorded instead of slept.
package final class SleepRecorder: Sendable {
    package init() {}

    package let waits = Mutex<[Duration]>([])
    package var recorded: [Duration] { waits.withLock { $0 } }
    package var sleep: @Sendable (Duration) async throws -> Void {
        { duration in self.waits.withLock { $0.append(duration) } }
    }
}

package enum Challenge {
    package static let claims = #"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#
    /// As Graph sends it (standard base64 with padding).
    package static var header: String {
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
            + "error=\"insufficient_claims\", claims=\"\(Data(claims.utf8).base64EncodedString())\""
    }
}

package func expectDownstreamError(
    _ body: () async throws -> Void,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> DownstreamAPIError? {
    do {
        try await body()
        Issue.record("expected a DownstreamAPIError, got success", sourceLocation: sourceLocation)
    } catch let error as DownstreamAPIError {
        return error
    } catch {
        Issue.record("expected a DownstreamAPIError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
