import ArgumentParser
import Foundation
import TesseraJOSE
import TesseraValidation

/// `tessera validate`: jwt.ms with teeth — every rule of the validator, from the command line.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate an access token as an API would; print the caller as JSON, or why it is rejected.",
        discussion: """
            Exit 0 and the principal as JSON when valid; exit 1 and 'rejected: <reason-code>: <explanation>' when not;
            exit 2 for a usage error.

            Examples:
              tessera validate "$TOKEN" --authority https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration \\
                --issuer https://login.microsoftonline.com/<tenant>/v2.0 --audience <api-client-id> --role Reports.Read.All --app-only
              tessera validate - --jwks keys.json --issuer 'https://login.microsoftonline.com/{tenantid}/v2.0' \\
                --tenant <tid> --audience api://reports --now 1795618631 < token.txt
            """
    )

    @Argument(
        help:
            "The token, or - to read it from standard input (prefer -: a token on the command line is visible to other users in ps)."
    )
    var token: String

    @Option(help: "A JWKS file or URL.")
    var jwks: String?

    @Option(help: "An OIDC discovery document URL (its jwks_uri is used).")
    var authority: String?

    @Option(help: "The expected issuer, or a template with {tenantid} for multi-tenant APIs.")
    var issuer: String

    @Option(help: "An accepted audience (repeatable).")
    var audience: [String]

    @Option(help: "An allowed tenant (repeatable; with an issuer template).")
    var tenant: [String] = []

    @Option(help: "A required app role (repeatable; all are required).")
    var role: [String] = []

    @Option(help: "An allowed caller client ID (repeatable).")
    var caller: [String] = []

    @Flag(
        help: ArgumentHelp(
            "Require an app-only token (entra: no scp, idtyp app or oid == sub; rfc9068: sub == client_id, "
                + "gty client_credentials when present, and --caller)."
        )
    )
    var appOnly = false

    @Option(help: "entra or rfc9068.")
    var profile = "entra"

    @Option(help: "Allowed clock skew in seconds.")
    var clockSkew = 300

    @Option(help: "Validate as of this time (Unix seconds).")
    var now: Int?

    @Flag(
        help:
            "Fetch keys over plain http from a host that is not loopback (whoever answers could forge every token)."
    )
    var allowInsecureKeyUrl = false

    @OptionGroup var global: GlobalOptions

    /// Refuses a key URL that is not https (or http to loopback) unless `--allow-insecure-key-url`.
    static func requireSecure(_ url: String, flag: String, allowed: Bool) throws {
        guard allowed || SigningKeySet.isSecureKeyURL(url) else {
            throw ValidationError(
                "\(flag) '\(url)' is not https: keys are fetched only over https, or http to a loopback host; "
                    + "pass --allow-insecure-key-url to fetch them anyway"
            )
        }
    }

    func validate() throws {
        guard (jwks == nil) != (authority == nil) else {
            throw ValidationError("give exactly one of --jwks <file|url> or --authority <discovery url>")
        }
        guard ["entra", "rfc9068"].contains(profile) else {
            throw ValidationError("--profile must be entra or rfc9068")
        }
        guard !audience.isEmpty else { throw ValidationError("give at least one --audience") }
    }

    /// The policy the flags describe.
    func makePolicy() -> ValidationPolicy {
        var policy = ValidationPolicy(
            issuer: issuer.contains("{tenantid}")
                ? .multiTenant(template: issuer, allowedTenants: tenant.isEmpty ? nil : Set(tenant)) : .exact(issuer),
            audiences: Set(audience)
        )
        policy.profile = profile == "rfc9068" ? .rfc9068 : .entra
        policy.appOnly = appOnly
        policy.clockSkew = .seconds(clockSkew)
        if !role.isEmpty { policy.roles = .allOf(Set(role)) }
        if !caller.isEmpty { policy.allowedCallers = Set(caller) }
        if let now { policy.now = { Date(timeIntervalSince1970: TimeInterval(now)) } }
        return policy
    }

    func run() async throws {
        let text =
            token == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : token
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let policy = makePolicy()
        let ca = global.resolvedCAFile
        let keys: SigningKeySet
        if let authority {
            try Self.requireSecure(authority, flag: "--authority", allowed: allowInsecureKeyUrl)
            keys = SigningKeySet(
                url: authority,
                discovery: true,
                caFile: ca,
                issuer: issuer,
                allowInsecureURL: allowInsecureKeyUrl
            )
        } else if let jwks, jwks.hasPrefix("https://") || jwks.hasPrefix("http://") {
            try Self.requireSecure(jwks, flag: "--jwks", allowed: allowInsecureKeyUrl)
            keys = SigningKeySet(url: jwks, caFile: ca, allowInsecureURL: allowInsecureKeyUrl)
        } else {
            guard let path = jwks, let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the JWKS file '\(jwks ?? "")'")
            }
            do {
                keys = try SigningKeySet(jwks: Array(data))
            } catch {
                throw ValidationError("the JWKS file '\(path)' is not a valid JWKS: \(error)")
            }
        }
        let result: Result<ValidatedToken, TokenRejection>
        do {
            result = .success(try await TokenValidator(policy: policy, keys: keys).validate(token))
        } catch {
            result = .failure(error)
        }
        try? await keys.shutdown()
        switch result {
        case .success(let principal):
            let object: [String: Any] = [
                "tenant": principal.tenant ?? NSNull(), "callerApplication": principal.callerApplication ?? NSNull(),
                "roles": principal.roles.sorted(), "objectId": principal.objectID ?? NSNull(),
                "issuer": principal.issuer,
                "expiresOn": ISO8601DateFormatter().string(from: principal.expiresOn),
                "claims":
                    (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(JSONValue.object(principal.claims))))
                    ?? [:],
            ]
            let data = try JSONSerialization.data(
                withJSONObject: object,
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            )
            print(String(decoding: data, as: UTF8.self))
        case .failure(let rejection):
            print("rejected: \(rejection.reason.code): \(rejection.explanation)")
            throw ExitCode(1)
        }
    }
}
