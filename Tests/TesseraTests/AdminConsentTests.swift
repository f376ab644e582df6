import Foundation
import Tessera
import TesseraTestSupport
import Testing

@Suite("Admin consent helper")
struct AdminConsentTests {
    @Test("builds the URL Entra expects")
    func url() throws {
        let url = try AdminConsent.url(
            tenant: "organizations",
            clientID: "abc",
            redirectURI: "https://contoso.example/done",
            state: "s 1"
        )
        #expect(
            url
                == "https://login.microsoftonline.com/organizations/adminconsent?client_id=abc&redirect_uri=https%3A%2F%2Fcontoso.example%2Fdone&state=s%201"
        )
        #expect(throws: IdentityError.self) {
            try AdminConsent.url(tenant: "a/b", clientID: "abc", redirectURI: "https://x/")
        }
        #expect(throws: IdentityError.self) {
            try AdminConsent.url(tenant: "common", clientID: "abc", redirectURI: "not a url")
        }
    }

    @Test("parses granted, denied and forged redirects")
    func parse() throws {
        let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
        #expect(
            try AdminConsent.parse(
                redirect: "https://x/done?tenant=\(tenant)&state=7&admin_consent=True",
                expectedState: "7"
            ) == .granted(tenant: tenant, state: "7")
        )
        #expect(
            try AdminConsent.parse(
                redirect: "https://x/done?error=access_denied&error_description=AADSTS65004%3A+declined&state=7"
            )
                == .denied(error: "access_denied", description: "AADSTS65004: declined", state: "7")
        )
        #expect(throws: IdentityError.self) {
            try AdminConsent.parse(
                redirect: "https://x/done?tenant=\(tenant)&state=8&admin_consent=True",
                expectedState: "7"
            )
        }
        #expect(throws: IdentityError.self) { try AdminConsent.parse(redirect: "https://x/done?state=7") }
    }
}
