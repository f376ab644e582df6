import Foundation
import NIOHTTP1
import TesseraJOSE

/// Reads a token endpoint's answer: a strict success parse, or an ``IdentityError`` that names the cause and the fix.
enum TokenResponse {
    struct Context {
        let request: TokenRequest
        let endpoint: TokenEndpoint
        let correlationID: String
        let sentAt: Date
        let sensitiveValues: [String]
    }

    static func parse(_ answer: HTTPTransport.Answer, context: Context) throws(IdentityError) -> AccessToken {
        guard answer.status == 200 else { throw error(from: answer, context: context) }
        func violation(_ what: String) -> IdentityError {
            IdentityError(
                .protocolViolation,
                "the token endpoint answered HTTP 200 but \(what); it is not a valid OAuth 2.0 token response",
                httpStatus: 200,
                correlationID: context.correlationID
            )
        }
        let body: [String: JSONValue]
        do {
            body = try StrictJSON.parseObject(answer.body)
        } catch {
            throw violation(answer.body.isEmpty ? "with an empty body" : "its body is not a JSON object (\(error))")
        }
        guard let token = body["access_token"]?.stringValue, !token.isEmpty else {
            throw violation("without access_token")
        }
        guard let tokenType = body["token_type"]?.stringValue else { throw violation("without token_type") }
        guard tokenType.lowercased() == "bearer" else {
            throw violation("with token_type '\(tokenType.prefix(32))', not Bearer")
        }
        guard let expiresIn = seconds(body["expires_in"]), expiresIn > 0 else {
            throw violation("without a positive numeric expires_in")
        }
        let refreshIn = seconds(body["refresh_in"]).flatMap { $0 > 0 && $0 < expiresIn ? $0 : nil }
        let extendedExpiresIn = seconds(body["ext_expires_in"])
        let sentAt = context.sentAt
        return AccessToken(
            token: token,
            tokenType: "Bearer",
            expiresOn: sentAt.addingTimeInterval(TimeInterval(expiresIn)),
            refreshOn: refreshIn.map { sentAt.addingTimeInterval(TimeInterval($0)) },
            extendedExpiresOn: extendedExpiresIn.map { sentAt.addingTimeInterval(TimeInterval($0)) },
            lifetime: expiresIn,
            tenant: context.endpoint.tenant,
            scopes: context.request.scopes,
            correlationID: context.correlationID
        )
    }

    /// A number of seconds: a JSON integer, or a string of digits (Entra's v1 endpoint and ADFS send strings).
    static func seconds(_ value: JSONValue?) -> Int64? {
        switch value {
        case .number: return value?.integerValue
        case .string(let text)
        where !text.isEmpty && text.count < 16 && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber):
            return Int64(text)
        default: return nil
        }
    }

    static func error(from answer: HTTPTransport.Answer, context: Context) -> IdentityError {
        let status = answer.status
        let retryAfter = RetryAfter.parse(answer.headers.first(name: "Retry-After"), now: Date())
        let json = try? StrictJSON.parseObject(answer.body)
        let oauthError = json?["error"]?.stringValue
        let description = json?["error_description"]?.stringValue
        let aadsts =
            json?["error_codes"]?.arrayValue?.first?.integerValue.map(Int.init) ?? description.flatMap(aadstsCode(in:))
        let correlationID = json?["correlation_id"]?.stringValue ?? context.correlationID
        let traceID = json?["trace_id"]?.stringValue
        let serverDescription = description.map { redact(firstLine($0), context.sensitiveValues) }

        var code: IdentityError.Code
        var message: String
        if let aadsts, let entry = EntraErrorCatalog.entries[aadsts] {
            (code, message) = (entry.code, entry.advice)
        } else if let oauthError, let known = EntraErrorCatalog.oauthErrors[oauthError] {
            (code, message) = known
        } else if json != nil, oauthError != nil {
            (code, message) = (
                .requestRejected,
                "the token endpoint refused the request with error '\(redact(oauthError!.prefix(64), context.sensitiveValues))'."
            )
        } else if answer.body.isEmpty {
            (code, message) = (
                .requestRejected,
                "the token endpoint refused the request (HTTP \(status)) with an empty body: some servers (Glewlwyd) answer "
                    + "this way for a wrong client secret, key, or a scope the client may not request."
            )
        } else {
            (code, message) = (
                .protocolViolation,
                "the token endpoint answered HTTP \(status) with a body that is not an OAuth 2.0 error (\(contentKind(answer))): "
                    + "check that the authority points at a token endpoint and that no proxy intercepts the request."
            )
        }
        // The status decides transient classes whatever the body says.
        if status == 429 {
            code = .throttled
            message =
                "the identity provider is throttling this client (HTTP 429); wait \(retryAfter.map { "\($0)" } ?? "a few seconds") before retrying. "
                + message
        } else if status >= 500 {
            code = .serverError
            message =
                "the identity provider failed (HTTP \(status)); this is usually transient and is retried. "
                + (json == nil ? "The body was not JSON." : message)
        }
        return IdentityError(
            code,
            message,
            aadstsCode: aadsts,
            oauthError: oauthError,
            httpStatus: status,
            correlationID: correlationID,
            traceID: traceID,
            retryAfter: retryAfter,
            serverDescription: serverDescription
        )
    }

    static func aadstsCode(in text: String) -> Int? {
        guard let range = text.range(of: "AADSTS") else { return nil }
        return Int(text[range.upperBound...].prefix(while: \.isNumber))
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(whereSeparator: \.isNewline).first ?? "").trimmingCharacters(in: .whitespaces).prefix(300)
            .description
    }

    static func redact(_ text: some StringProtocol, _ sensitive: [String]) -> String {
        var result = String(text)
        for value in sensitive where value.count >= 4 {
            result = result.replacingOccurrences(of: value, with: "[redacted]")
        }
        return result
    }

    static func contentKind(_ answer: HTTPTransport.Answer) -> String {
        let type = answer.headers.first(name: "Content-Type") ?? "no Content-Type"
        let start = String(decoding: answer.body.prefix(16), as: UTF8.self).lowercased()
        if start.contains("<html") || start.contains("<!doc") { return "HTML, \(type)" }
        if start.hasPrefix("{") { return "truncated or invalid JSON" }
        return type
    }
}
