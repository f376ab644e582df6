import Foundation
import NIOSSL
import TesseraTestSupport
import Testing

@testable import Tessera

@Suite("Transport: TLS trust, failures reported at once, proxies from the environment")
struct TransportTests {
    let pki = TestPKI.shared

    /// A server certificate for localhost signed by a throwaway CA, made with openssl.
    static let serverTLS: (ca: String, configuration: TLSConfiguration) = {
        let pki = TestPKI.shared
        let run = { (arguments: [String]) in try! OpenSSL.run(arguments, in: pki.directory) }
        run([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tessera test CA", "-keyout",
            "ca.key", "-out", "ca.pem",
        ])
        run([
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out",
            "server.csr",
        ])
        try! "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            toFile: pki.path("server.ext"),
            atomically: true,
            encoding: .utf8
        )
        run([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "server.ext", "-out", "server.pem",
        ])
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try! NIOSSLCertificate.fromPEMFile(pki.path("server.pem")).map { .certificate($0) },
            privateKey: .privateKey(try! NIOSSLPrivateKey(file: pki.path("server.key"), format: .pem))
        )
        return (pki.path("ca.pem"), configuration)
    }()

    @Test("https with the CA file trusted")
    func trustedCA() async throws {
        try await TestTokenServer.daemon().run(tls: Self.serverTLS.configuration) { server in
            let token = try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) {
                $0.http.caFile = Self.serverTLS.ca
            } _: {
                try await $0.token(scope: "https://graph.microsoft.com/.default")
            }
            #expect(token.token.hasPrefix("test-token-"))
        }
    }

    @Test("an untrusted server certificate is a TLS error at once, naming the CA-file fix")
    func untrusted() async throws {
        try await TestTokenServer.daemon().run(tls: Self.serverTLS.configuration) { server in
            let started = ContinuousClock.now
            let error = await expectIdentityError {
                _ = try await withClient(server, credential: ClientSecretCredential(secret: testSecret)) {
                    try await $0.token(scope: "https://graph.microsoft.com/.default")
                }
            }
            #expect(error?.code == .tls)
            #expect(error?.message.contains("--ca-file") == true)
            #expect(ContinuousClock.now - started < .seconds(5), "not retried until the deadline")
            #expect(server.requests.isEmpty)
        }
    }

    @Test("a refused connection is a network error naming the host")
    func refused() async throws {
        // Bind and release a port so nothing listens on it.
        let port = try await TestTokenServer.daemon().run { server in Int(server.baseURL.split(separator: ":").last!)! }
        let configuration = ConfidentialClient.Configuration(
            clientID: daemonClientID,
            authority: try .microsoft(tenant: tenantID, cloud: .custom("http://127.0.0.1:\(port)")),
            credential: ClientSecretCredential(secret: testSecret)
        )
        let client = try ConfidentialClient(configuration: configuration)
        let error = await expectIdentityError {
            _ = try await client.token(scope: "https://graph.microsoft.com/.default")
        }
        try await client.shutdown()
        #expect(error?.code == .network)
        #expect(error?.isTransient == true)
        #expect(error?.message.contains("127.0.0.1") == true)
    }

    @Test("a missing CA file is a configuration error at construction")
    func missingCAFile() throws {
        var configuration = ConfidentialClient.Configuration(
            clientID: daemonClientID,
            authority: try .microsoft(tenant: tenantID),
            credential: ClientSecretCredential(secret: testSecret)
        )
        configuration.http.caFile = "/nonexistent/ca.pem"
        #expect(throws: IdentityError.self) { try ConfidentialClient(configuration: configuration) }
    }

    @Test(
        "proxy selection from the environment",
        arguments: [
            (
                "HTTPS_PROXY to a remote host", ["HTTPS_PROXY": "http://proxy.corp:3128"], "https",
                "login.microsoftonline.com", "proxy.corp:3128"
            ),
            (
                "lower-case https_proxy", ["https_proxy": "proxy.corp:8080"], "https", "login.microsoftonline.com",
                "proxy.corp:8080"
            ),
            ("loopback is never proxied", ["HTTPS_PROXY": "http://proxy.corp:3128"], "https", "127.0.0.1", nil),
            ("localhost is never proxied", ["HTTPS_PROXY": "http://proxy.corp:3128"], "https", "localhost", nil),
            (
                "NO_PROXY domain suffix", ["HTTPS_PROXY": "proxy:1", "NO_PROXY": "example.com,.microsoftonline.com"],
                "https", "login.microsoftonline.com", nil
            ),
            (
                "NO_PROXY exact host", ["HTTPS_PROXY": "proxy:1", "NO_PROXY": "login.microsoftonline.com"], "https",
                "login.microsoftonline.com", nil
            ),
            (
                "NO_PROXY does not match a longer name", ["HTTPS_PROXY": "proxy:1", "NO_PROXY": "online.com"], "https",
                "login.microsoftonline.com", "proxy:1"
            ),
            ("NO_PROXY star", ["HTTPS_PROXY": "proxy:1", "no_proxy": "*"], "https", "login.microsoftonline.com", nil),
            (
                "NO_PROXY with a port", ["HTTPS_PROXY": "proxy:1", "NO_PROXY": "login.microsoftonline.com:443"],
                "https", "login.microsoftonline.com", nil
            ),
            (
                "http target uses HTTP_PROXY", ["HTTP_PROXY": "proxy:2", "HTTPS_PROXY": "proxy:1"], "http",
                "example.com", "proxy:2"
            ),
            ("no proxy set", [:], "https", "login.microsoftonline.com", nil),
        ] as [(String, [String: String], String, String, String?)]
    )
    func proxySelection(
        name: String,
        environment: [String: String],
        scheme: String,
        host: String,
        expected: String?
    )
        throws
    {
        let proxy = try ProxyEnvironment(environment: environment).proxy(forScheme: scheme, host: host)
        #expect(proxy.map { "\($0.host):\($0.port)" } == expected, "\(name)")
    }

    @Test("proxy credentials in the URL become Basic proxy authorization")
    func proxyCredentials() throws {
        let proxy = try #require(
            try ProxyEnvironment(environment: ["HTTPS_PROXY": "http://user:p%40ss@proxy:3128"]).proxy(
                forScheme: "https",
                host: "login.microsoftonline.com"
            )
        )
        #expect(proxy.host == "proxy")
        #expect(proxy.authorization != nil)
    }

    @Test(
        "a proxy URL the connection could not honour is refused, never used in clear",
        arguments: [
            ("https:// proxy with credentials", "https://user:canary-pass@proxy.corp:443"),
            ("https:// proxy", "https://proxy.corp:3129"),
            ("socks5:// proxy", "socks5://proxy.corp:1080"),
            ("no host", "http://:3128"),
        ]
    )
    func refusedProxy(name: String, value: String) {
        do {
            _ = try ProxyEnvironment(environment: ["HTTPS_PROXY": value]).proxy(
                forScheme: "https",
                host: "login.microsoftonline.com"
            )
            Issue.record("\(name): accepted")
        } catch {
            #expect(error.code == .invalidConfiguration, "\(name)")
            #expect("\(error)".contains("HTTPS_PROXY"), "\(name)")
            #expect(!"\(error)".contains("canary-pass"), "\(name)")
        }
    }

    @Test("a client configured from an https:// proxy environment fails at construction")
    func refusedProxyClient() {
        #expect(throws: IdentityError.self) {
            try HTTPConfiguration.environmentProxy(
                for: "https://login.microsoftonline.com/x",
                environment: ["HTTPS_PROXY": "https://proxy.corp"]
            )
        }
    }
}
