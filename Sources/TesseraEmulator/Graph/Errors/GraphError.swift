import Foundation
import HTTPTypes
import Hummingbird

/// An error answered in Microsoft Graph's shape, `{"error":{"code","message","innerError":{"date","request-id",
/// "client-request-id"}}}`, which Graph's SDKs and generated clients decode; thrown by the Graph-like API's handlers
/// and answered through Hummingbird (``GraphError/Body`` is `ResponseEncodable`). The factories in
/// `GraphError+Catalog.swift` hold Graph's codes and messages.
struct GraphError: Error, HTTPResponseError, CustomStringConvertible {
    /// The HTTP status.
    let status: HTTPResponse.Status
    /// Graph's error code, e.g. `Request_ResourceNotFound`.
    let code: String
    /// What went wrong (and, where Graph's own words do not, what to do).
    let message: String
    /// Extra answer headers (`WWW-Authenticate`, `Allow`).
    var headers: HTTPFields = [:]

    /// An error with this status, code and message.
    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    var description: String { "\(status.code) \(code): \(message)" }

    /// The body Graph answers with.
    struct Body: ResponseEncodable {
        /// The error.
        let error: Detail

        /// Graph's `error` object.
        struct Detail: Encodable {
            let code: String
            let message: String
            let innerError: Inner
        }

        /// Graph's `innerError`: when, and the IDs that name the request in Microsoft's logs.
        struct Inner: Encodable {
            let date: String
            let requestID: String
            let clientRequestID: String?

            enum CodingKeys: String, CodingKey {
                case date
                case requestID = "request-id"
                case clientRequestID = "client-request-id"
            }
        }
    }

    /// The answer: the body through the context's encoder, the status, `request-id` (also in the body) and the
    /// caller's `client-request-id` echoed, as Graph sends them.
    func response(from request: Request, context: some RequestContext) throws -> Response {
        let requestID = UUID().uuidString.lowercased()
        let clientRequestID = request.headers[GraphHeader.clientRequestID].map { String($0.prefix(128)) }
        var date = ISO8601DateFormatter().string(from: Date())
        if date.hasSuffix("Z") { date.removeLast() }  // Graph's innerError date has no zone
        let body = Body(
            error: .init(
                code: code,
                message: message,
                innerError: .init(date: date, requestID: requestID, clientRequestID: clientRequestID)
            )
        )
        var response = try body.response(from: request, context: context)
        response.status = status
        response.headers[GraphHeader.requestID] = requestID
        if let clientRequestID { response.headers[GraphHeader.clientRequestID] = clientRequestID }
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// The header names the Graph-like API reads or sends.
enum GraphHeader {
    /// Graph's ID of a request, in every error's `innerError` and answer headers.
    static let requestID = HTTPField.Name("request-id")!
    /// The caller's ID of a request, echoed.
    static let clientRequestID = HTTPField.Name("client-request-id")!
    /// `eventual` allows advanced queries (`$count`, `$search`, `ne`, `endsWith`, `$filter` with `$orderby`).
    static let consistencyLevel = HTTPField.Name("ConsistencyLevel")!
}
