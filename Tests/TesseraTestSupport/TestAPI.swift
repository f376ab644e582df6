import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

/// A small resource API for the downstream-caller tests: each path answers a scripted sequence of responses
/// (the last repeats) and records the `Authorization` header of every request.
package final class TestAPI: Sendable {
    package struct Scripted: Sendable {
        package var status: Int
        package var headers: [String: String]
        package var body: String

        package init(status: Int, headers: [String: String] = [:], body: String = "{}") {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    private let state = Mutex<
        (scripts: [String: [Scripted]], seen: [(path: String, authorization: String)], baseURL: String)
    >(([:], [], ""))

    package init() {}

    package var baseURL: String { state.withLock { $0.baseURL } }
    /// `Authorization` values seen for `path`, in order.
    package func authorizations(_ path: String) -> [String] {
        state.withLock { $0.seen.filter { $0.path == path }.map(\.authorization) }
    }
    package func count(_ path: String) -> Int { authorizations(path).count }

    package func script(_ path: String, _ responses: Scripted...) { state.withLock { $0.scripts[path] = responses } }

    package func run<R: Sendable>(_ body: @Sendable (TestAPI) async throws -> R) async throws -> R {
        let router = Router()
        router.on("**", method: .get) { request, _ in self.answer(request) }
        router.on("**", method: .post) { request, _ in self.answer(request) }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: Logger(label: "test-api", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        return try await app.test(.live) { client in
            state.withLock { $0.baseURL = "http://127.0.0.1:\(client.port!)" }
            return try await body(self)
        }
    }

    package func answer(_ request: Request) -> Response {
        let path = request.uri.path
        let scripted: Scripted = state.withLock { state in
            state.seen.append((path, request.headers[.authorization] ?? ""))
            guard var responses = state.scripts[path], !responses.isEmpty else {
                return Scripted(status: 404, body: #"{"error":{"code":"NotFound","message":"no script"}}"#)
            }
            let next = responses.removeFirst()
            if !responses.isEmpty { state.scripts[path] = responses }
            return next
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, value) in scripted.headers { headers[HTTPField.Name(name)!] = value }
        let body = scripted.body.replacingOccurrences(of: "{base}", with: baseURL)
        return Response(
            status: .init(code: scripted.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
