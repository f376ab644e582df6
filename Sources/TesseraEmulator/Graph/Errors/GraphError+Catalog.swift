import Foundation
import HTTPTypes
import Hummingbird

/// Graph's errors, with Graph's codes and (where Graph has them) its messages. Text from the request is shortened
/// before it is echoed.
extension GraphError {
    /// Text from a request, shortened for a message.
    static func quoted(_ text: String, limit: Int = 120) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// 401: no tenant in the token (the token middleware lets only validated tokens through).
    static var invalidToken: GraphError {
        GraphError(.unauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
    }

    /// 403: the token's application permissions (`roles`) include none the operation accepts.
    static var denied: GraphError {
        GraphError(.forbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    }

    /// 400: a path segment that names nothing (Graph's words).
    static func unknownSegment(_ segment: String) -> GraphError {
        GraphError(.badRequest, "BadRequest", "Resource not found for the segment '\(quoted(segment))'.")
    }

    /// 405: the path exists but not for this method; `Allow` lists the methods it takes.
    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> GraphError {
        let names = allowed.map(\.rawValue).sorted()
        return GraphError(
            .methodNotAllowed,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target. This path takes "
                + names.joined(separator: ", ") + ", not \(quoted(method.rawValue, limit: 16)).",
            headers: [.allow: names.joined(separator: ", ")]
        )
    }

    /// 400: a path segment or query string that is not valid percent-encoding.
    static func badEncoding(_ what: String) -> GraphError {
        GraphError(.badRequest, "BadRequest", "\(what) is not valid percent-encoding (UTF-8 bytes as %XX).")
    }

    /// 404: no user, group or directory object with this ID (or UPN) in the token's tenant (Graph's words).
    static func notFound(_ key: String) -> GraphError {
        GraphError(
            .notFound,
            "Request_ResourceNotFound",
            "Resource '\(quoted(key))' does not exist or one of its queried reference-property objects are not present."
        )
    }

    /// 404: the token's tenant is not in the emulator's directory (removed since the token was issued).
    static func tenantMissing(_ tenant: String) -> GraphError {
        GraphError(
            .notFound,
            "Request_ResourceNotFound",
            "The tenant '\(quoted(tenant))' of the token is not in the emulator's directory."
        )
    }

    /// 400 `BadRequest`: a malformed request (query option, body, reference).
    static func badRequest(_ message: String) -> GraphError {
        GraphError(.badRequest, "BadRequest", message)
    }

    /// 400 `Request_BadRequest`: a request the directory refuses (a missing property, a taken UPN).
    static func refused(_ message: String) -> GraphError {
        GraphError(.badRequest, "Request_BadRequest", message)
    }

    /// 400 `Request_UnsupportedQuery`: a query Graph answers only as an advanced query, or not at all.
    static func unsupportedQuery(_ message: String) -> GraphError {
        GraphError(.badRequest, "Request_UnsupportedQuery", message)
    }

    /// The advanced-query refusal: `feature` needs `ConsistencyLevel: eventual` (and, for some, `$count=true`).
    static func needsEventualConsistency(_ feature: String, withCount: Bool) -> GraphError {
        unsupportedQuery(
            "\(feature) is an advanced query: send the header 'ConsistencyLevel: eventual'"
                + (withCount ? " and the query option $count=true." : ".")
        )
    }

    /// 400: a property name a resource type does not have, in `$select`, `$filter`, `$orderby` or `$search`.
    static func unknownProperty(_ name: String, of type: String) -> GraphError {
        badRequest("Could not find a property named '\(quoted(name, limit: 64))' on type 'microsoft.graph.\(type)'.")
    }

    /// 400: a request body naming a property the type does not have (OData's words).
    static func undeclaredProperty(_ name: String, of type: String) -> GraphError {
        badRequest(
            "The property '\(quoted(name, limit: 64))' does not exist on type 'microsoft.graph.\(type)'. Make sure to "
                + "only use property names that are defined by the type."
        )
    }

    /// 400: a request body setting a property that cannot be set.
    static func readOnlyProperty(_ name: String, of type: String) -> GraphError {
        refused("Property '\(name)' of 'microsoft.graph.\(type)' is read-only and cannot be set in a request body.")
    }

    /// 400: a value of the wrong type, or `null` for a property that must have one (Graph's words).
    static func invalidValue(_ name: String, of type: String, expected: String) -> GraphError {
        let resource = type.prefix(1).uppercased() + type.dropFirst()
        return refused(
            "Invalid value specified for property '\(name)' of resource '\(resource)': expected \(expected)."
        )
    }

    /// 400: a property `POST` needs is missing or empty (Graph's words).
    static func missingProperty(_ name: String) -> GraphError {
        refused("Property \(name) value is required but is empty or missing.")
    }

    /// 400: a body that is not JSON, or not an object (Graph's words, then what was wrong).
    static func unreadableBody(_ detail: String) -> GraphError {
        badRequest(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid "
                + "JSON format. (\(detail))"
        )
    }
}
