import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraJOSE

/// Admin consent (`/{tenant}/adminconsent` and `/{tenant}/v2.0/adminconsent`), as Entra's consent page gives it: a
/// GET shows who asks for what (application, tenant, permissions) with an Accept button and grants nothing; only a
/// POST of that page's form — carrying its one-time token (``ConsentTokens``: single use, 10 minutes, bound to the
/// same client, tenant, redirect URI and state) — or a POST with `Authorization: Bearer <adminKey>` grants the app's
/// `requiredResourceAccess` and redirects to the redirect URI with `admin_consent=True`, `tenant` and `state`. A web
/// page cannot grant it for the administrator: it cannot read the token of a page on another origin. With
/// `autoConsent` (`tessera emulator --auto-consent`, for scripts) the GET grants and redirects at once.
struct AdminConsentRoutes: Sendable {
    let directory: Directory
    let tokens: ConsentTokens
    let adminKey: String
    let autoConsent: Bool
    let now: @Sendable () -> Date

    func register(on router: Router<EmulatorRequestContext>) {
        router.get("/:tenant/adminconsent") { request, context in
            try self.show(request, tenant: context.parameters.require("tenant"))
        }
        router.get("/:tenant/v2.0/adminconsent") { request, context in
            try self.show(request, tenant: context.parameters.require("tenant"))
        }
        router.post("/:tenant/adminconsent") { request, context in
            try await self.accept(request, tenant: context.parameters.require("tenant"))
        }
        router.post("/:tenant/v2.0/adminconsent") { request, context in
            try await self.accept(request, tenant: context.parameters.require("tenant"))
        }
    }

    /// A consent request the directory knows: the tenant, the application, one of its redirect URIs.
    struct Consent {
        let tenant: DirectoryModel.Tenant
        let application: Directory.Application
        let redirectURI: String
        let state: String?

        var binding: ConsentBinding {
            ConsentBinding(
                clientID: application.model.clientId,
                tenant: tenant.id,
                redirectURI: redirectURI,
                state: state
            )
        }
    }

    /// The tenant, the application and the redirect URI (registered on it, byte for byte), or Entra's error.
    func resolve(
        tenant name: String,
        clientID: String,
        redirectURI: String,
        state: String?
    ) throws(EntraError) -> Consent {
        guard let tenant = directory.tenant(name) else { throw .tenantNotFound(name) }
        guard let application = directory.application(clientID) else {
            throw .applicationNotFound(clientID, tenant: tenant.id)
        }
        guard application.model.redirectUris.contains(where: { $0.utf8.elementsEqual(redirectURI.utf8) }),
            URLComponents(string: redirectURI) != nil
        else { throw .redirectURIMismatch }
        return Consent(tenant: tenant, application: application, redirectURI: redirectURI, state: state)
    }

    /// GET: the consent page (or, with `autoConsent`, the grant).
    func show(_ request: Request, tenant name: String) -> Response {
        let query = request.uri.queryParameters
        let consent: Consent
        do {
            consent = try resolve(
                tenant: name,
                clientID: query.get("client_id") ?? "",
                redirectURI: query.get("redirect_uri") ?? "",
                state: query.get("state")
            )
        } catch {
            return Self.error(error)
        }
        if autoConsent { return grant(consent) }
        let token = tokens.issue(for: consent.binding, now: now())
        // A fixed path, never the request's: `//evil.example/adminconsent` routes here too, and as a form action it would
        // post the consent token to another host.
        return ConsentPage.response(for: consent, token: token, action: "/\(consent.tenant.id)/adminconsent")
    }

    /// POST: the page's Accept form (fields `client_id`, `redirect_uri`, `state`, `consent_token`), or the admin key;
    /// fields may also be given in the query.
    func accept(_ request: Request, tenant name: String) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let form: [String: String]
        do {
            form = try FormEncoding.decode(String(buffer: body))
        } catch {
            return Self.error(.malformedForm(error))
        }
        let query = request.uri.queryParameters
        func field(_ name: String) -> String? { form[name] ?? query.get(name) }
        let consent: Consent
        do {
            consent = try resolve(
                tenant: name,
                clientID: field("client_id") ?? "",
                redirectURI: field("redirect_uri") ?? "",
                state: field("state")
            )
        } catch {
            return Self.error(error)
        }
        let presented = request.headers[.authorization] ?? ""
        let byAdmin = presented.hasPrefix("Bearer ") && ConstantTime.equals(String(presented.dropFirst(7)), adminKey)
        guard byAdmin || tokens.redeem(field("consent_token") ?? "", for: consent.binding, now: now()) else {
            return Self.error(.consentFormInvalid)
        }
        return grant(consent)
    }

    /// Grants the app's required access in the tenant and sends the administrator back, as Entra does.
    func grant(_ consent: Consent) -> Response {
        guard var target = URLComponents(string: consent.redirectURI) else { return Self.error(.redirectURIMismatch) }
        directory.consent(client: consent.application, tenant: consent.tenant)
        var items = target.queryItems ?? []
        items.append(URLQueryItem(name: "admin_consent", value: "True"))
        items.append(URLQueryItem(name: "tenant", value: consent.tenant.id))
        if let state = consent.state { items.append(URLQueryItem(name: "state", value: state)) }
        target.queryItems = items
        return Response(
            status: .found,
            headers: [.location: target.string ?? consent.redirectURI, .cacheControl: "no-store"]
        )
    }

    static func error(_ error: EntraError) -> Response {
        json(error.json(correlationID: ""), status: .init(code: error.status))
    }
}
