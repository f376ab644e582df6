import AsyncHTTPClient
import Foundation
import Synchronization
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("Emulator: admin consent is a page with an Accept form; only its one-time token (or the admin key) grants")
struct AdminConsentFlowTests {
    static let other = "https://localhost/other-done"
    static let query = "client_id=\(EmulatorFixture.daemon)&redirect_uri=\(EmulatorFixture.redirect)&state=s1"
    static func pagePath(tenant: String = EmulatorFixture.fabrikam) -> String { "/\(tenant)/adminconsent?\(query)" }

    /// The fixture with a second registered redirect URI.
    static var model: DirectoryModel {
        var model = EmulatorFixture.model
        model.applications[0].redirectUris.append(other)
        return model
    }

    /// `nil` when the daemon gets a Graph token in fabrikam (consent was given there), else the AADSTS code.
    static func fabrikamRefusal(_ emulator: Emulator) async throws -> Int64? {
        let answer = try await post(
            emulator,
            path: "/\(EmulatorFixture.fabrikam)/oauth2/v2.0/token",
            form: [
                "grant_type": "client_credentials", "client_id": EmulatorFixture.daemon,
                "client_secret": EmulatorFixture.secret, "scope": "https://graph.microsoft.com/.default",
            ]
        )
        if answer.status == 200 { return nil }
        return try StrictJSON.parseObject(answer.body)["error_codes"]?.arrayValue?.first?.integerValue
    }

    static func page(_ emulator: Emulator, path: String) async throws -> (html: String, form: ConsentForm) {
        let answer = try await get(emulator, path: path)
        let html = String(decoding: answer.body, as: UTF8.self)
        #expect(answer.status == 200, "\(html.prefix(300))")
        #expect(answer.location == nil, "a GET never redirects")
        return (html, try #require(ConsentForm(page: html)))
    }

    @Test("a GET shows the application, the tenant, the permissions and an Accept form; it grants nothing")
    func getGrantsNothing() async throws {
        try await withEmulator(model: Self.model) { emulator in
            let (html, form) = try await Self.page(emulator, path: Self.pagePath())
            #expect(html.contains(">daemon<"))
            #expect(html.contains(EmulatorFixture.daemon))
            #expect(html.contains("fabrikam.example") && html.contains(EmulatorFixture.fabrikam))
            #expect(html.contains("User.Read.All") && html.contains("Reports.Read.All"))
            #expect(html.contains("<button type=\"submit\" id=\"accept\">Accept</button>"))
            #expect(form.action == "/\(EmulatorFixture.fabrikam)/adminconsent")
            #expect(form.fields["redirect_uri"] == EmulatorFixture.redirect && form.fields["state"] == "s1")
            #expect((form.fields["consent_token"] ?? "").count >= 43, "256 random bits")
            // Twice, as a page that loads the URL in an image or an iframe would: still no grant.
            _ = try await Self.page(emulator, path: Self.pagePath())
            #expect(try await Self.fabrikamRefusal(emulator) == 700016)
        }
    }

    @Test("the page's form, POSTed once, grants the required roles and redirects; the same token again is refused")
    func postGrantsOnce() async throws {
        try await withEmulator(model: Self.model) { emulator in
            let (_, form) = try await Self.page(emulator, path: Self.pagePath())
            let accepted = try await post(emulator, path: form.action, form: form.fields)
            #expect(accepted.status == 302)
            let location = try #require(accepted.location)
            #expect(location.hasPrefix(EmulatorFixture.redirect + "?"))
            #expect(location.contains("admin_consent=True") && location.contains("state=s1"))
            #expect(location.contains("tenant=\(EmulatorFixture.fabrikam)"))
            #expect(try await Self.fabrikamRefusal(emulator) == nil)

            let replayed = try await post(emulator, path: form.action, form: form.fields)
            #expect(replayed.status == 400 && replayed.location == nil)
            #expect(String(decoding: replayed.body, as: UTF8.self).contains("AADSTS90023"))
        }
    }

    struct Refused: Sendable, CustomTestStringConvertible {
        let name: String
        /// The tenant whose page is fetched (the POST always goes to fabrikam).
        var pageTenant = EmulatorFixture.fabrikam
        var adminKey: String?
        var minutesLater: Double = 0
        let change: @Sendable (inout [String: String]) -> Void
        var testDescription: String { name }
    }

    static let refused: [Refused] = [
        Refused(name: "no token") { $0["consent_token"] = nil },
        Refused(name: "a forged token") {
            $0["consent_token"] = Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
        },
        Refused(name: "the page's token with another state") { $0["state"] = "s2" },
        Refused(name: "the page's token without its state") { $0["state"] = nil },
        Refused(name: "the page's token for another registered redirect URI") { $0["redirect_uri"] = other },
        Refused(name: "the token of another tenant's page", pageTenant: EmulatorFixture.contoso) { _ in },
        Refused(name: "the page's token, 11 minutes later", minutesLater: 11) { _ in },
        Refused(name: "no token and a wrong admin key", adminKey: "not-the-admin-key") { $0["consent_token"] = nil },
    ]

    @Test("a POST without the page's token for this very request is refused and grants nothing", arguments: refused)
    func postRefused(_ refusal: Refused) async throws {
        let clock = ShiftedClock()
        try await withEmulator(model: Self.model, configure: { $0.now = { clock.now } }) { emulator in
            let (_, form) = try await Self.page(emulator, path: Self.pagePath(tenant: refusal.pageTenant))
            var fields = form.fields
            refusal.change(&fields)
            clock.shift(by: refusal.minutesLater * 60)
            let answer = try await post(
                emulator,
                path: "/\(EmulatorFixture.fabrikam)/adminconsent",
                form: fields,
                adminKey: refusal.adminKey
            )
            let text = String(decoding: answer.body, as: UTF8.self)
            #expect(answer.status == 400 && answer.location == nil, "\(text.prefix(300))")
            #expect(text.contains("AADSTS90023") && text.contains("Nothing was granted"))
            clock.shift(by: 0)
            #expect(try await Self.fabrikamRefusal(emulator) == 700016)
        }
    }

    @Test("a POST with the admin key grants without a page (scripts)")
    func adminKeyPost() async throws {
        try await withEmulator(model: Self.model) { emulator in
            let answer = try await post(
                emulator,
                path: "/\(EmulatorFixture.fabrikam)/v2.0/adminconsent",
                form: ["client_id": EmulatorFixture.daemon, "redirect_uri": EmulatorFixture.redirect, "state": "k"],
                adminKey: emulator.adminKey
            )
            #expect(answer.status == 302)
            #expect(answer.location?.contains("state=k") == true)
            #expect(try await Self.fabrikamRefusal(emulator) == nil)
        }
    }

    @Test("autoConsent: the GET grants and redirects at once, as before the page existed")
    func autoConsent() async throws {
        try await withEmulator(model: Self.model, configure: { $0.autoConsent = true }) { emulator in
            let answer = try await get(emulator, path: Self.pagePath())
            #expect(answer.status == 302)
            #expect(answer.location?.contains("admin_consent=True") == true)
            #expect(try await Self.fabrikamRefusal(emulator) == nil)
        }
    }

    @Test("what the page shows is escaped: a hostile display name and state stay text, and the state comes back intact")
    func escaped() async throws {
        var model = Self.model
        model.applications[0].displayName = "<script>alert(1)</script>"
        let state = "\"\u{301} onfocus=alert(1) x='<b>"
        try await withEmulator(model: model) { emulator in
            let encoded = state.utf8.map { byte in
                let hex = String(byte, radix: 16, uppercase: true)
                return "%" + (hex.count == 1 ? "0" + hex : hex)
            }.joined()
            let path =
                "/\(EmulatorFixture.fabrikam)/adminconsent?client_id=\(EmulatorFixture.daemon)"
                + "&redirect_uri=\(EmulatorFixture.redirect)&state=\(encoded)"
            let (html, form) = try await Self.page(emulator, path: path)
            #expect(!html.contains("<script>") && !html.contains("<b>") && !html.contains("\"\u{301}"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(form.fields["state"] == state)
            let accepted = try await post(emulator, path: form.action, form: form.fields)
            #expect(accepted.status == 302)
            let back = try #require(accepted.location.flatMap { URLComponents(string: $0) })
            #expect(back.queryItems?.first { $0.name == "state" }?.value == state)
        }
    }
}

/// The wall clock moved by a settable offset (the emulator's `now`).
final class ShiftedClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func shift(by seconds: TimeInterval) { offset.withLock { $0 = seconds } }
}
