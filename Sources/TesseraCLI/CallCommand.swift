import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Tessera
import TesseraJOSE

/// `tessera call`: call an API with the app's token and print the JSON.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call an API with the app's token (settings: flags, AZURE_* environment, appsettings.json) and print the JSON answer.",
        discussion: """
            Examples:
              tessera call GET https://graph.microsoft.com/v1.0/users --all-pages
              tessera call POST https://api.contoso.example/reports --scope api://reports/.default --data '{"month":11}'
              AZURE_AUTHORITY_HOST=https://localhost:8443 tessera call GET https://localhost:8443/v1.0/users --ca-file ~/.tessera/emulator/ca.pem
            """)

    @Argument(help: "HTTP method.")
    var method: String

    @Argument(help: "URL, or a path relative to --api's BaseUrl.")
    var url: String

    @Option(help: "The scope of the token, '{resource}/.default'. Default: --api's Scopes, else Graph's.")
    var scope: String?

    @Option(help: "A DownstreamApis entry of the configuration file (its BaseUrl, RelativePath and Scopes).")
    var api: String?

    @Flag(help: "Follow @odata.nextLink and print every page's 'value' as one array.")
    var allPages = false

    @Option(help: "A JSON request body.")
    var data: String?

    @OptionGroup var client: ClientOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method.uppercased()) else {
            throw ValidationError("METHOD must be GET, POST, PUT, PATCH or DELETE")
        }
        if api == nil, URLComponents(string: url).map({ ["https", "http"].contains($0.scheme ?? "") && $0.host != nil }) != true {
            throw ValidationError("URL must be an absolute http(s) URL, e.g. https://graph.microsoft.com/v1.0/users (or use --api <name>)")
        }
        if let data, (try? StrictJSON.parse(Array(data.utf8))) == nil { throw ValidationError("--data must be JSON") }
    }

    func run() async throws {
        var configuration: ConfidentialClient.Configuration
        do {
            configuration = try self.client.configuration()
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.http.caFile = global.resolvedCAFile
        var target = url
        var scope = self.scope ?? "https://graph.microsoft.com/.default"
        if let api {
            guard let file = self.client.configFile() else { throw ValidationError("--api needs a configuration file (--config / TESSERA_CONFIG) with DownstreamApis") }
            let downstream: AppSettingsFile.DownstreamAPI
            do {
                downstream = try AppSettingsFile.downstreamAPI(named: api, path: file)
            } catch {
                throw ValidationError("\(error)")
            }
            let relative = url.isEmpty || url == "-" ? downstream.relativePath : url
            target = url.hasPrefix("http") ? url : downstream.baseURL.trimmingSuffix("/") + "/" + relative.trimmingPrefix("/")
            scope = self.scope ?? downstream.scopes.first ?? scope
        }
        let client = try ConfidentialClient(configuration: configuration, logger: global.makeLogger())
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = global.resolvedCAFile { tls.additionalTrustRoots = [.file(caFile)] }
        var httpConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
        httpConfiguration.proxy = HTTPConfiguration.environmentProxy(for: target)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        do {
            var values: [JSONValue] = []
            var next: String? = target
            var last: JSONValue = .null
            while let page = next {
                let token = try await client.token(scope: scope)
                var request = HTTPClientRequest(url: page)
                request.method = .init(rawValue: method.uppercased())
                request.headers.add(name: "Authorization", value: "Bearer \(token.token)")
                request.headers.add(name: "Accept", value: "application/json")
                if let data, page == target {
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: data))
                }
                let response = try await http.execute(request, timeout: .seconds(60))
                let body = Array(buffer: try await response.body.collect(upTo: 16 << 20))
                guard (200..<300).contains(response.status.code) else {
                    let message = (try? StrictJSON.parseObject(body))?["error"]?["message"]?.stringValue ?? String(decoding: body.prefix(300), as: UTF8.self)
                    throw CallFailure(description: "\(method.uppercased()) \(page) answered HTTP \(response.status.code): \(message)")
                }
                last = body.isEmpty ? .null : try StrictJSON.parse(body)
                next = nil
                if allPages {
                    values += last["value"]?.arrayValue ?? []
                    next = last["@odata.nextLink"]?.stringValue
                }
            }
            let output: JSONValue = allPages ? .object(["value": .array(values)]) : last
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
            try await http.shutdown()
            try await client.shutdown()
        } catch {
            try? await http.shutdown()
            try? await client.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    struct CallFailure: Error, CustomStringConvertible {
        let description: String
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
    func trimmingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}
