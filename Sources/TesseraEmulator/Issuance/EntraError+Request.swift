import TesseraJOSE

extension EntraError {
    /// A token request body that is not a well-formed form (a malformed escape, a repeated parameter): Entra's
    /// AADSTS90100 (InvalidRequestParameter), naming the field but never its value.
    static func malformedForm(_ error: FormEncoding.DecodingError) -> EntraError {
        EntraError(
            status: 400,
            error: "invalid_request",
            code: 90100,
            description: "The request body cannot be read: \(error)."
        )
    }
}
