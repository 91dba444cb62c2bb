/// A service of the cluster set: `<ns>/<name>`.
public struct ServiceKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }
    public var description: String { "\(namespace)/\(name)" }
    public static func < (l: ServiceKey, r: ServiceKey) -> Bool { (l.namespace, l.name) < (r.namespace, r.name) }
}
