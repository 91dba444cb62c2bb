/// A request as the operations endpoint reads it: method, path and query; no body (every
/// route is a GET).
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: String

    public init(method: String, path: String, query: String = "") {
        self.method = method
        self.path = path
        self.query = query
    }

    /// Parses the request head (request line and headers, up to the blank line). Nil for
    /// anything that is not `METHOD SP target SP HTTP/1.x`.
    static func parse(head: [UInt8]) -> HTTPRequest? {
        guard let lineEnd = head.firstIndex(of: UInt8(ascii: "\r")) ?? head.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let parts = head[..<lineEnd].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].first == UInt8(ascii: "/"),
              parts[2].starts(with: Array("HTTP/1.".utf8)) else { return nil }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        guard method.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return nil }
        if let q = target.firstIndex(of: "?") {
            return HTTPRequest(method: method, path: String(target[..<q]), query: String(target[target.index(after: q)...]))
        }
        return HTTPRequest(method: method, path: target)
    }
}
