/// A zone folder or zone file that cannot be served, with where and why.
public struct ZoneFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    /// 1-based line, when the problem is tied to one.
    public let line: Int?
    public let reason: String

    public init(path: String, line: Int? = nil, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    /// `path:line`, or the path alone.
    public var location: String { line.map { "\(path):\($0)" } ?? path }

    public var description: String { "\(location): \(reason)" }
}
