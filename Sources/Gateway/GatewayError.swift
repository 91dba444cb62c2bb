/// What stops the gateway or one of its steps, with the reason a person can act on.
public struct GatewayError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The errno of a failed system or netlink call, when there was one.
    public var errno: Int32?

    public init(_ description: String, errno: Int32? = nil) {
        self.description = description
        self.errno = errno
    }
}
