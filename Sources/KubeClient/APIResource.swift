import FoundationEssentials

/// A collection to list and watch: group/version/resource, optionally one namespace and
/// a label selector.
public struct APIResource: Sendable, CustomStringConvertible {
    /// Empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    /// The plural resource name of URLs (`serviceimports`).
    public var resource: String
    /// Nil: all namespaces.
    public var namespace: String?
    public var labelSelector: String?

    public init(group: String, version: String, resource: String, namespace: String? = nil, labelSelector: String? = nil) {
        self.group = group
        self.version = version
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
    }

    public var description: String {
        (group.isEmpty ? resource : "\(resource).\(group)") + (namespace.map { " in \($0)" } ?? "")
    }

    /// The collection's path, segments percent-encoded.
    public var path: String {
        var p = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if let ns = namespace { p += "/namespaces/" + Self.encode(ns) }
        return p + "/" + resource
    }

    /// The collection URL with `query` parameters (and the label selector) encoded.
    func url(base: String, query: [(String, String)]) -> String {
        var q = query
        if let s = labelSelector, !s.isEmpty { q.append(("labelSelector", s)) }
        let qs = q.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        return base + path + (qs.isEmpty ? "" : "?" + qs)
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
