import NIOHTTP1

/// The client's identity on the wire, as MSAL's `x-client-*` headers, with our own SKU.
public enum Tessera {
    /// The library version sent as `x-client-ver`.
    public static let version = "0.1.0"
    /// The SKU sent as `x-client-sku`.
    public static let sku = "tessera.swift"

    static var operatingSystem: String {
        #if os(Linux)
        "Linux"
        #elseif os(macOS)
        "macOS"
        #else
        "unknown"
        #endif
    }

    static func addTelemetry(to headers: inout HTTPHeaders, correlationID: String) {
        headers.add(name: "x-client-sku", value: sku)
        headers.add(name: "x-client-ver", value: version)
        headers.add(name: "x-client-os", value: operatingSystem)
        headers.add(name: "client-request-id", value: correlationID)
        headers.add(name: "return-client-request-id", value: "true")
        headers.add(name: "x-ms-lib-capability", value: "retry-after, h429")
    }
}
