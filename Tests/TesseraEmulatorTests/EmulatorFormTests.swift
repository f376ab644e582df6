import AsyncHTTPClient
import Foundation
import NIOCore
import TesseraEmulator
import TesseraJOSE
import TesseraTestSupport
import Testing

@Suite("Emulator: token requests whose form cannot be read")
struct EmulatorFormTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        var testDescription: String { name }
    }

    static let base =
        "grant_type=client_credentials&client_id=\(EmulatorFixture.daemon)&scope=api%3A%2F%2Freports%2F.default"

    static let cases = [
        Case(
            name: "a malformed escape in the secret (%ZZ was once an empty secret)",
            body: base + "&client_secret=%ZZ"
        ),
        Case(name: "a truncated escape", body: base + "&client_secret=\(EmulatorFixture.secret)%4"),
        Case(name: "a repeated parameter", body: base + "&client_secret=a&client_secret=\(EmulatorFixture.secret)"),
    ]

    @Test("answered 400 invalid_request AADSTS90100 naming the field, never its value", arguments: cases)
    func malformed(_ testCase: Case) async throws {
        try await withEmulator(https: false) { emulator in
            var request = HTTPClientRequest(url: "\(emulator.baseURL)/\(EmulatorFixture.contoso)/oauth2/v2.0/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: testCase.body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(response.status.code == 400)
            let answer = try StrictJSON.parseObject(Array(text.utf8))
            #expect(answer["error"]?.stringValue == "invalid_request")
            #expect(answer["error_description"]?.stringValue?.hasPrefix("AADSTS90100:") == true, "\(text)")
            #expect(text.contains("client_secret"))
            #expect(!text.contains(EmulatorFixture.secret))
        }
    }
}
