import ArgumentParser
import Foundation
import Synchronization
import Tessera
import TesseraJOSE
import TesseraPostgres

/// `tessera call`: call an API with the app's token and print the JSON.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract:
            "Call an API with the app's token (settings: flags, AZURE_* environment, appsettings.json) and print the JSON answer.",
        discussion: """
            Examples:
              tessera call GET https://graph.microsoft.com/v1.0/users --all-pages
              tessera call POST https://api.contoso.example/reports --scope api://reports/.default --data '{"month":11}'
              AZURE_AUTHORITY_HOST=https://localhost:8443 tessera call GET https://localhost:8443/v1.0/users --ca-file ~/.tessera/emulator/ca.pem
            """
    )

    @Argument(help: "HTTP method.")
    var method: String

    @Argument(help: "URL, or a path relative to --api's BaseUrl.")
    var url: String

    @Option(
        help: "The scope of the token, '{resource}/.default'. Default: --api's Scopes; Graph's only for a Graph URL."
    )
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
        if api == nil,
            URLComponents(string: url).map({ ["https", "http"].contains($0.scheme ?? "") && $0.encodedHost != nil })
                != true
        {
            throw ValidationError(
                "URL must be an absolute http(s) URL, e.g. https://graph.microsoft.com/v1.0/users (or use --api <name>)"
            )
        }
        if let data, (try? StrictJSON.parse(Array(data.utf8))) == nil { throw ValidationError("--data must be JSON") }
    }

    func run() async throws {
        var configuration: ConfidentialClient.Configuration
        do {
            configuration = try self.client.configuration(caFile: global.resolvedCAFile)
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.http.caFile = global.resolvedCAFile
        var target = url
        var scope = self.scope
        if let api {
            guard self.client.configFile() != nil else {
                throw ValidationError(
                    "--api needs a configuration file (--config / TESSERA_CONFIG) with DownstreamApis"
                )
            }
            let downstream: DownstreamAPI
            do {
                let (reader, places) = try self.client.settings()
                downstream = try DownstreamAPI(configReader: reader, name: api, places: places)
            } catch {
                throw ValidationError("\(error)")
            }
            let relative = url.isEmpty || url == "-" ? downstream.relativePath : url
            target =
                url.hasPrefix("http")
                ? url : downstream.baseURL.trimmingSuffix("/") + "/" + relative.trimmingPrefix("/")
            scope = self.scope ?? downstream.scopes.first
        }
        let logger = global.makeLogger()
        let sharedCache: (any SharedTokenCache)?
        do {
            sharedCache = try TokenCacheSettings.cache(file: self.client.configFile(), logger: logger)
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.sharedCache = sharedCache
        let client = try ConfidentialClient(configuration: configuration, logger: logger)
        var apiConfiguration = DownstreamAPIClient.Configuration()
        apiConfiguration.http.caFile = global.resolvedCAFile
        // A Graph token is assumed only for Graph itself: another API never gets one by default.
        guard
            let scope = scope
                ?? configuration.authority.cloud.flatMap({ $0.isGraph(target) ? $0.graphResource + "/.default" : nil })
        else {
            throw ValidationError(
                "\(target) is not Microsoft Graph: give the token's scope with --scope (e.g. api://reports/.default) or in DownstreamApis Scopes"
            )
        }
        let caller = Mutex<DownstreamAPIClient?>(nil)
        do {
            let output: JSONValue = try await TokenCacheSettings.withRunning(sharedCache) {
                let api = try DownstreamAPIClient(
                    api: DownstreamAPI(baseURL: target, scopes: [scope]),
                    tokenSource: client,
                    configuration: apiConfiguration,
                    logger: logger
                )
                caller.withLock { $0 = api }
                let output: JSONValue
                if allPages {
                    var values: [JSONValue] = []
                    try await api.forEachPage(target, of: JSONValue.self) { values += $0 }
                    output = .object(["value": .array(values)])
                } else {
                    let body = data.map { Array($0.utf8) }
                    let headers = body == nil ? [:] : ["Content-Type": "application/json"]
                    let response = try await api.send(.init(method: method, path: target, headers: headers, body: body))
                    output = response.body.isEmpty ? .null : try response.decode(JSONValue.self)
                }
                caller.withLock { $0 = nil }
                try await api.shutdown()
                return output
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
            try await client.shutdown()
        } catch {
            try? await caller.withLock({ $0 })?.shutdown()
            try? await client.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
