/// A start-up failure of the HTTP endpoint (a bad address, a port in use).
public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
