import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

struct FaultMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext
    let injector: FaultInjector

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let fault = injector.take(path: request.uri.path) else { return try await next(request, context) }
        if let latency = fault.latencyMilliseconds, latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
        if fault.dropConnection == true {
            try? await context.channel.close()
            throw CancellationError()
        }
        guard let status = fault.status else { return try await next(request, context) }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = fault.retryAfter { headers[.retryAfter] = retryAfter }
        let body =
            #"{"error":"temporarily_unavailable","error_description":"AADSTS50000: Injected fault (tessera emulator)."}"#
        return Response(
            status: .init(code: status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
