import Foundation
import HTTPTypes
import Hummingbird
import TesseraValidation

/// Authenticates app-only callers: validates the `Authorization: Bearer` token and puts the caller on the context.
/// RFC 6750 answers: no token → 401 with `WWW-Authenticate: Bearer realm="…"`; a bad token → 401
/// `error="invalid_token"`; a missing permission → 403 `error="insufficient_scope"`; a malformed header → 400
/// `error="invalid_request"`. The scheme is case-insensitive.
///
/// The `error_description` (in the header and the JSON body) never carries token material, and names the reason only
/// once the signature verified (``TokenRejection/Reason/isAfterSignature``: audience, lifetime, profile, app-only,
/// caller, roles — claims the issuer vouched for, which tell the token's holder about its own token). A token refused
/// before that — unparsable, a wrong issuer, a tenant not allowed, an unknown `kid`, a bad signature, unavailable
/// keys — gets one neutral description, `The token is not valid.`, the same bytes whatever the reason: otherwise anyone
/// could ask the API which tenants it allows and which key IDs exist. The reason and its explanation go to the
/// request's logger: at `debug` before the signature (anyone can cause those), at `info` after it.
public struct AppTokenMiddleware<Context: AppTokenContext>: RouterMiddleware {
    /// Validates each bearer token that the cache does not already hold.
    public let validator: any AccessTokenValidator
    /// The `realm` named in `WWW-Authenticate` challenges. Default `api`.
    public let realm: String
    /// Accepted tokens, so a reused token skips validation; `nil` validates every request. Default: a new cache.
    public let cache: ValidatedTokenCache?
    /// Largest `Authorization` header accepted. Default 16 KiB.
    public var maximumHeaderBytes = 16 * 1024
    /// Whose acceptance the cache records: the ``TokenValidator``'s identity, else one of this middleware's own.
    let partition: UInt64

    /// Validates with `validator`, names `realm` in challenges and keeps accepted tokens in `cache` (`nil`: none),
    /// which other middlewares may share: its entries are keyed by validator.
    public init(
        validator: any AccessTokenValidator,
        realm: String = "api",
        cache: ValidatedTokenCache? = ValidatedTokenCache()
    ) {
        self.validator = validator
        self.realm = realm
        self.cache = cache
        self.partition = (validator as? TokenValidator)?.identity ?? ValidatorIdentity.next()
    }

    /// The `error_description` of every token refused before its signature verified.
    static var unverifiedDescription: String { "The token is not valid." }

    /// Validates the bearer token and passes the request on with the caller on the context; otherwise answers with the
    /// RFC 6750 response (400, 401 or 403) without calling `next`.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let values = request.headers[values: .authorization]
        guard let header = values.first else {
            return Self.challenge(.unauthorized, realm: realm, error: nil, description: nil)
        }
        // Another scheme (Basic, Negotiate…) carries no bearer token: answer as for a missing one (RFC 6750 §3).
        if values.count == 1, !Self.startsWithBearer(header.utf8) {
            return Self.challenge(.unauthorized, realm: realm, error: nil, description: nil)
        }
        guard values.count == 1, header.utf8.count <= maximumHeaderBytes, let token = Self.bearerToken(header) else {
            return Self.challenge(
                .badRequest,
                realm: realm,
                error: "invalid_request",
                description: "malformed Authorization header: expected 'Bearer <token>'"
            )
        }
        var context = context
        do {
            context.appToken = try await validate(token)
        } catch {
            let verified = error.reason.isAfterSignature
            if verified {
                context.logger.info(
                    "bearer token rejected",
                    metadata: [
                        "tessera.reason": .string(error.reason.code), "tessera.explanation": .string(error.explanation),
                    ]
                )
            } else if error.reason == .keysUnavailable {
                // No client causes this: the API's own key source is failing (every token is refused meanwhile).
                context.logger.warning(
                    "bearer token rejected: the signing keys are unavailable",
                    metadata: ["tessera.explanation": .string(error.explanation)]
                )
            } else {
                context.logger.debug(
                    "bearer token rejected before its signature verified",
                    metadata: [
                        "tessera.reason": .string(error.reason.code), "tessera.explanation": .string(error.explanation),
                    ]
                )
            }
            let status: HTTPResponse.Status = error.reason.isAuthorization ? .forbidden : .unauthorized
            return Self.challenge(
                status,
                realm: realm,
                error: error.reason.isAuthorization ? "insufficient_scope" : "invalid_token",
                description: verified ? error.reason.code : Self.unverifiedDescription
            )
        }
        return try await next(request, context)
    }

    func validate(_ token: String) async throws(TokenRejection) -> ValidatedToken {
        guard let cache else { return try await validator.validate(token) }
        return try await cache.validate(token, with: validator, partition: partition)
    }

    /// Whether `utf8` starts with `bearer` in any ASCII case (a look at six bytes, not a lower-cased copy of the
    /// whole header).
    static func startsWithBearer(_ utf8: some Sequence<UInt8>) -> Bool {
        var bytes = utf8.makeIterator()
        for expected in "bearer".utf8 {
            guard let byte = bytes.next(), byte | 0x20 == expected else { return false }
        }
        return true
    }

    /// `Bearer <token>` with a case-insensitive scheme and one space; the token in RFC 6750's b64token alphabet.
    /// One pass over the header's contiguous bytes.
    static func bearerToken(_ header: String) -> String? {
        var header = header
        return header.withUTF8 { bytes -> String? in
            guard bytes.count > 7, startsWithBearer(bytes), bytes[6] == 0x20 else { return nil }
            let token = UnsafeBufferPointer(rebasing: bytes[7...])
            for byte in token where !isB64TokenByte(byte) { return nil }
            return String(decoding: token, as: UTF8.self)
        }
    }

    /// RFC 6750 §2.1's b64token: `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`, then `=` padding (accepted
    /// anywhere, as before: the validator's strict base64url refuses it).
    @inline(__always)
    static func isB64TokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            true
        default: false
        }
    }

    static func challenge(
        _ status: HTTPResponse.Status,
        realm: String,
        error: String?,
        description: String?
    ) -> Response {
        var value = "Bearer realm=\"\(realm)\""
        if let error { value += ", error=\"\(error)\"" }
        if let description { value += ", error_description=\"\(description)\"" }
        var body = "{}"
        if let error {
            body = "{\"error\":\"\(error)\"" + (description.map { ",\"error_description\":\"\($0)\"" } ?? "") + "}"
        }
        return Response(
            status: status,
            headers: [.wwwAuthenticate: value, .contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
