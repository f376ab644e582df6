import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A fault to inject: for requests to `endpoint`, fail the next `count` (or a `fraction`) with `status` and an optional
/// `Retry-After`, and/or add `latencyMilliseconds`. Set through `POST /admin/faults` or `Emulator.Options.faults`.
public struct Fault: Codable, Sendable {
    /// `token`, `discovery`, `keys`, `instance`, `consent` or `any`.
    public var endpoint: String
    /// HTTP status to answer with (e.g. 503, 429); `nil` adds latency only.
    public var status: Int?
    /// `Retry-After` value (seconds or an HTTP date) sent with the status.
    public var retryAfter: String?
    /// Fail the next N matching requests. `nil` with no fraction: every matching request.
    public var count: Int?
    /// Fail this fraction (0…1) of matching requests, at random.
    public var fraction: Double?
    /// Delay before answering, in milliseconds.
    public var latencyMilliseconds: Int?
    /// Close the connection without answering.
    public var dropConnection: Bool?

    public init(endpoint: String, status: Int? = nil, retryAfter: String? = nil, count: Int? = nil, fraction: Double? = nil, latencyMilliseconds: Int? = nil, dropConnection: Bool? = nil) {
        self.dropConnection = dropConnection
        self.endpoint = endpoint
        self.status = status
        self.retryAfter = retryAfter
        self.count = count
        self.fraction = fraction
        self.latencyMilliseconds = latencyMilliseconds
    }
}

/// Applies the configured faults in front of the routes.
final class FaultInjector: Sendable {
    private let faults: Mutex<[Fault]>

    init(_ faults: [Fault]) { self.faults = Mutex(faults) }

    func set(_ new: [Fault]) { faults.withLock { $0 = new } }
    func add(_ fault: Fault) { faults.withLock { $0.append(fault) } }
    var current: [Fault] { faults.withLock { $0 } }

    static func endpoint(of path: String) -> String {
        if path.hasPrefix("/admin") { return "admin" }
        if path.hasSuffix("/token") { return "token" }
        if path.hasSuffix("/openid-configuration") { return "discovery" }
        if path.hasSuffix("/keys") { return "keys" }
        if path.hasSuffix("/discovery/instance") { return "instance" }
        if path.hasSuffix("/adminconsent") { return "consent" }
        return "api"
    }

    /// The fault to apply to this request, consuming one of a counted fault.
    func take(path: String) -> Fault? {
        let endpoint = Self.endpoint(of: path)
        guard endpoint != "admin" else { return nil }
        return faults.withLock { faults in
            guard let index = faults.firstIndex(where: { $0.endpoint == endpoint || $0.endpoint == "any" }) else { return nil }
            let fault = faults[index]
            if let count = fault.count {
                if count <= 1 { faults.remove(at: index) } else { faults[index].count = count - 1 }
                return fault
            }
            if let fraction = fault.fraction { return Double.random(in: 0..<1) < fraction ? fault : nil }
            return fault
        }
    }
}

struct FaultMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext
    let injector: FaultInjector

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let fault = injector.take(path: request.uri.path) else { return try await next(request, context) }
        if let latency = fault.latencyMilliseconds, latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
        if fault.dropConnection == true {
            try? await context.channel.close()
            throw CancellationError()
        }
        guard let status = fault.status else { return try await next(request, context) }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = fault.retryAfter { headers[.retryAfter] = retryAfter }
        let body = #"{"error":"temporarily_unavailable","error_description":"AADSTS50000: Injected fault (tessera emulator)."}"#
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
