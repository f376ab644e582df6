/// The client's identity on the wire, as MSAL's `x-client-*` headers, with our own SKU.
public enum TesseraVersion {
    /// The library version sent as `x-client-ver`.
    public static let version = "0.1.0"
    /// The SKU sent as `x-client-sku`.
    public static let sku = "tessera.swift"
}
