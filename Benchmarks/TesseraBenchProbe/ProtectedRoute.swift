import ArgumentParser
import Foundation
import Hummingbird
import TesseraHummingbird
import TesseraValidation

/// One route three ways for wrk: `/plain` (no authentication), `/protected` (every bearer token validated) and
/// `/protected-cached` (through the validated-token cache); each answers the same small JSON body.
struct ProtectedRoute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve /plain, /protected and /protected-cached on 127.0.0.1 until killed."
    )

    @Option(help: "The port on 127.0.0.1.") var port: Int
    @Option(help: "A file holding the JWKS.") var jwks: String
    @Option(help: "The expected issuer.") var issuer: String
    @Option(help: "The expected audience.") var audience: String

    func run() async throws {
        let keys = try SigningKeySet(jwks: Array(try Data(contentsOf: URL(fileURLWithPath: jwks))))
        let validator = TokenValidator(
            policy: ValidationPolicy(issuer: .exact(issuer), audiences: [audience]),
            keys: keys
        )
        let router = Router(context: AppTokenRequestContext.self)
        let body = #"{"value":[{"id":"5e6f7a8b-0000-4000-8000-000000000001","displayName":"report"}]}"#
        @Sendable func answer(_ request: Request, _ context: AppTokenRequestContext) -> Response {
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body))
            )
        }
        router.get("plain", use: answer)
        router.group("protected").add(middleware: AppTokenMiddleware(validator: validator, cache: nil))
            .get(use: answer)
        router.group("protected-cached").add(middleware: AppTokenMiddleware(validator: validator))
            .get(use: answer)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { _ in
                try? printJSON(["listening": port])
            }
        )
        try await app.runService()
    }
}
