/// A configuration that cannot be used to reach the API server: one readable sentence,
/// naming the file and field at fault. Start-up turns it into exit status 2.
public struct KubeConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
