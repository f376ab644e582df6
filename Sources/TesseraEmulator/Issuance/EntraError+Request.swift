import TesseraJOSE

extension EntraError {
    /// A token request body that is not a well-formed form (a malformed escape, a repeated parameter): Entra's
    /// AADSTS90100 (InvalidRequestParameter), naming the field but never its value.
    static func malformedForm(_ error: FormEncoding.DecodingError) -> EntraError {
        // Only a parameter's own name is echoed: an unencoded secret with a `&` in it would otherwise show a piece
        // of itself as a "field".
        let field = error.field.map { parameters.contains($0) ? "'\($0)'" : "a field" } ?? "a field's name"
        return EntraError(
            status: 400,
            error: "invalid_request",
            code: 90100,
            description:
                "The request body cannot be read: \(field) \(error.reason). Send the body form-encoded (RFC 6749 "
                + "appendix B)."
        )
    }

    /// The token endpoint's parameters, the only field names an error repeats.
    static let parameters: Set<String> = [
        "grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type", "scope", "resource",
        "claims", "client_info", "azure_region",
    ]
}
