/// The parts of `metadata` Sextant reads.
public struct ObjectMeta: Decodable, Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var labels: StringPairs
    public var annotations: StringPairs
    public var resourceVersion: String?

    enum CodingKeys: String, CodingKey { case name, namespace, labels, annotations, resourceVersion }

    public init(name: String, namespace: String = "", labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.name = name
        self.namespace = namespace
        self.labels = StringPairs(labels)
        self.annotations = StringPairs(annotations)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace) ?? ""
        labels = StringPairs(try c.decodeIfPresent(StringMap.self, forKey: .labels)?.values ?? [:])
        annotations = StringPairs(try c.decodeIfPresent(StringMap.self, forKey: .annotations)?.values ?? [:])
        resourceVersion = try c.decodeIfPresent(String.self, forKey: .resourceVersion)
    }
}

/// A string map that also takes unquoted YAML scalars (`ready: true` where Kubernetes
/// would have said `"true"`), instead of rejecting the whole object.
struct StringMap: Decodable {
    var values: [String: String] = [:]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        for key in c.allKeys {
            if let s = try? c.decode(String.self, forKey: key) { values[key.stringValue] = s }
            else if let b = try? c.decode(Bool.self, forKey: key) { values[key.stringValue] = b ? "true" : "false" }
            else if let i = try? c.decode(Int.self, forKey: key) { values[key.stringValue] = String(i) }
            else if let d = try? c.decode(Double.self, forKey: key) { values[key.stringValue] = String(d) }
        }
    }
}
