import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin-consent page: the application, the tenant, the permissions asked for, and an Accept form that POSTs the
/// request back with the page's one-time token. Every value is HTML-escaped; the page may not be framed, cached or
/// load anything.
enum ConsentPage {
    /// The page for `consent` whose form POSTs to `action` (the path it was shown at) with `token`.
    static func response(for consent: AdminConsentRoutes.Consent, token: String, action: String) -> Response {
        let app = consent.application.model
        let tenantName = consent.tenant.domains.first ?? consent.tenant.id
        var permissions = "<p>No permissions: consent only lets the application get tokens in this tenant.</p>"
        if !app.requiredResourceAccess.isEmpty {
            var items: [String] = []
            for access in app.requiredResourceAccess {
                let roles = access.roles.map { "<code>\(escape($0))</code>" }.joined(separator: ", ")
                items.append("<li><code>\(escape(access.resource))</code>: \(roles)</li>")
            }
            permissions = "<ul>\n" + items.joined(separator: "\n") + "\n</ul>"
        }
        var fields = [("client_id", app.clientId), ("redirect_uri", consent.redirectURI)]
        if let state = consent.state { fields.append(("state", state)) }
        fields.append(("consent_token", token))
        let hidden = fields.map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(escape($0.1))\">" }
            .joined(separator: "\n")
        let html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Permissions requested: \(escape(app.displayName))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:42em;margin:3em auto;padding:0 1em;line-height:1.5}
            button{font-size:1em;padding:.4em 1.6em}</style>
            </head>
            <body>
            <h1>Permissions requested</h1>
            <p><strong id="application">\(escape(app.displayName))</strong> (application ID \
            <code>\(escape(app.clientId))</code>) asks an administrator of tenant \
            <strong id="tenant">\(escape(tenantName))</strong> (<code>\(escape(consent.tenant.id))</code>) to grant \
            it these application permissions, for the whole organisation:</p>
            \(permissions)
            <p>Accepting sends you back to <code>\(escape(consent.redirectURI))</code>.</p>
            <form method="post" action="\(escape(action))">
            \(hidden)
            <button type="submit" id="accept">Accept</button>
            </form>
            <p><small>Tessera emulator. This page can be accepted once, within 10 minutes.</small></p>
            </body>
            </html>

            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                HTTPField.Name("X-Frame-Options")!: "DENY",
                HTTPField.Name("Content-Security-Policy")!:
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// `text` for HTML text and double-quoted attribute values. Scalar by scalar: a `"` followed by a combining mark is
    /// one `Character` that is not `"`, yet the browser reads the quote.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
