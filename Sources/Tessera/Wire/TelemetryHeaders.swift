import NIOHTTP1

/// The `x-client-*` and correlation headers MSAL sends, with our own SKU and version.
enum TelemetryHeaders {
    static var operatingSystem: String {
        #if os(Linux)
        "Linux"
        #elseif os(macOS)
        "macOS"
        #else
        "unknown"
        #endif
    }

    static func add(to headers: inout HTTPHeaders, correlationID: String) {
        headers.add(name: "x-client-sku", value: TesseraVersion.sku)
        headers.add(name: "x-client-ver", value: TesseraVersion.version)
        headers.add(name: "x-client-os", value: operatingSystem)
        headers.add(name: "client-request-id", value: correlationID)
        headers.add(name: "return-client-request-id", value: "true")
        headers.add(name: "x-ms-lib-capability", value: "retry-after, h429")
    }
}
