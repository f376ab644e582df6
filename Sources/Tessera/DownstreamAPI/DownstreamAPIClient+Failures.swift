import CoreMetrics
import Foundation
import TesseraJOSE

extension DownstreamAPIClient {
    /// An absolute `https` URL (or `http` to loopback) the token may be sent to.
    static func target(_ url: String) throws(DownstreamAPIError) -> URLComponents {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.encodedHost, !host.isEmpty, components.user == nil, components.password == nil
        else {
            throw DownstreamAPIError(
                .invalidRequest,
                "'\(redacted(url))' is not an absolute URL; set the API's BaseUrl, e.g. https://graph.microsoft.com/v1.0/"
            )
        }
        guard scheme == "https" || (scheme == "http" && EndpointURL.isLoopback(host)) else {
            throw DownstreamAPIError(
                .invalidRequest,
                "'\(redacted(url))' would send the token over \(scheme)://; use https:// (http:// only to a loopback host)"
            )
        }
        return components
    }

    /// The origin (`scheme://host:port`) of `url` when a token may be sent there — an absolute `https` URL or `http`
    /// to a loopback host, without user info — else the error saying why not. The rule of every downstream caller
    /// (this client and `TesseraOpenAPI`'s middleware).
    package static func tokenOrigin(of url: String) throws(DownstreamAPIError) -> String {
        try origin(of: target(url))
    }

    static func origin(of components: URLComponents) throws(DownstreamAPIError) -> String {
        let scheme = components.scheme?.lowercased() ?? ""
        return
            "\(scheme)://\(components.encodedHost?.lowercased() ?? ""):\(components.port ?? (scheme == "https" ? 443 : 80))"
    }

    /// The URL without its query (which may carry anything) for messages and logs.
    static func redacted(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" }.prefix(300))
    }

    /// The error for a non-success answer, with Graph's `{"error":{"code","message","innerError":{"request-id"}}}` or
    /// an OAuth-style `{"error","error_description"}` read when present.
    static func failure(
        _ answer: HTTPTransport.Answer,
        what: String,
        claimsAnswered: Bool,
        scopes: [String],
        retryAfter: Duration? = nil,
        note: String? = nil
    ) -> DownstreamAPIError {
        let object = try? StrictJSON.parseObject(answer.body)
        var apiCode: String?
        var apiMessage: String?
        var requestID = answer.headers.first(name: "request-id") ?? answer.headers.first(name: "x-ms-request-id")
        if let error = object?["error"] {
            if let inner = error.objectValue {
                apiCode = inner["code"]?.stringValue
                apiMessage = inner["message"]?.stringValue
                requestID =
                    requestID ?? inner["innerError"]?["request-id"]?.stringValue
                    ?? inner["innererror"]?["request-id"]?.stringValue
            } else {
                apiCode = error.stringValue
                apiMessage = object?["error_description"]?.stringValue
            }
        }
        let said = apiMessage.map { ": \(String($0.prefix(300)))" } ?? ""
        let code: DownstreamAPIError.Code
        let message: String
        switch answer.status {
        case 401:
            code = .unauthorized
            message =
                claimsAnswered
                ? "\(what) was refused (401) again after its claims challenge was answered\(said); not retrying: the tenant's policy may block this app"
                : "\(what) was refused (401)\(said): the token's audience must be the API's (scopes \(scopes.joined(separator: " "))) and the app registered in its tenant"
        case 403:
            code = .httpStatus
            message =
                "\(what) was forbidden (403)\(said): the app lacks the API's app role (application permission) for this operation; add it and grant admin consent"
        case 404:
            code = .httpStatus
            message = "\(what) was not found (404)\(said)"
        case 429, 503:
            code = .throttled
            message = "\(what) answered \(answer.status)\(said); \(note ?? "try again later")"
        default:
            code = .httpStatus
            message = "\(what) answered HTTP \(answer.status)\(said)"
        }
        return DownstreamAPIError(
            code,
            message,
            status: answer.status,
            apiCode: apiCode,
            apiMessage: apiMessage,
            requestID: requestID,
            retryAfter: retryAfter
        )
    }
}

extension DownstreamAPIError {
    /// The API side's error for a transport failure of `what`.
    init(_ failure: TransportFailure, what: String) {
        switch failure.kind {
        case .timeout:
            self.init(
                .timeout,
                "\(what) timed out: the API is slow or unreachable; raise Configuration.http.requestTimeout if it is expected"
            )
        case .tls: self.init(.tls, "\(what): \(failure.message)")
        case .network: self.init(.network, "\(what): \(failure.message)")
        case .tooLarge(let status): self.init(.invalidResponse, "\(what): \(failure.message)", status: status)
        }
    }
}
