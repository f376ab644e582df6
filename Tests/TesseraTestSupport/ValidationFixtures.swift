import Foundation
import Tessera
import TesseraEmulator
import TesseraJOSE
import TesseraValidation
import Testing

package func expectRejection(
    _ reason: TokenRejection.Reason,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> ValidatedToken
) async {
    do {
        _ = try await body()
        Issue.record("accepted; expected \(reason)", sourceLocation: sourceLocation)
    } catch let rejection as TokenRejection {
        #expect(rejection.reason == reason, "\(rejection)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(error)", sourceLocation: sourceLocation)
    }
}
