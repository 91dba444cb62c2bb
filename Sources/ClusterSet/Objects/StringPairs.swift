/// Labels or annotations: a handful of key/value pairs kept as one small sorted array.
///
/// The store holds every object it watches for as long as it exists, and an
/// EndpointSlice carries five labels: as a `[String: String]` they cost about 800 bytes
/// (the hash storage plus a heap string for every key longer than 15 bytes), as this
/// array about 200. The keys and values Lighthouse writes on every object are shared,
/// not copied (`interned`): the copies are the compiled-in constants.
public struct StringPairs: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: String)

    /// Sorted by key, keys unique: equality does not depend on the order pairs came in.
    private var pairs: [Element]

    public init() { pairs = [] }

    public init(_ dictionary: [String: String]) {
        pairs = dictionary.map { (key: Self.interned($0.key), value: Self.interned($0.value)) }.sorted { $0.key < $1.key }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        var d: [String: String] = [:]
        for (k, v) in elements { d[k] = v }
        self.init(d)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { pairs.count }
    public subscript(position: Int) -> Element { pairs[position] }

    /// The value under `key`; nil when absent. Setting nil removes the pair.
    public subscript(key: String) -> String? {
        get {
            // A handful of pairs: a linear scan beats hashing the key.
            for p in pairs where p.key == key { return p.value }
            return nil
        }
        set {
            if let i = pairs.firstIndex(where: { $0.key == key }) {
                if let v = newValue { pairs[i].value = Self.interned(v) } else { pairs.remove(at: i) }
            } else if let v = newValue {
                let at = pairs.firstIndex { $0.key > key } ?? pairs.count
                pairs.insert((key: Self.interned(key), value: Self.interned(v)), at: at)
            }
        }
    }

    public var dictionary: [String: String] {
        Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    public static func == (a: StringPairs, b: StringPairs) -> Bool {
        a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// The label keys and values on every Lighthouse object. A string of more than 15
    /// UTF-8 bytes lives on the heap; a compiled-in constant costs nothing per copy.
    static let common: [String] = [
        "endpointslice.kubernetes.io/managed-by",
        "lighthouse-agent.submariner.io",
        "multicluster.kubernetes.io/service-name",
        "multicluster.kubernetes.io/source-cluster",
        "lighthouse.submariner.io/sourceNamespace",
        "lighthouse.submariner.io/sourceCluster",
        "lighthouse.submariner.io/is-headless",
        "lighthouse.submariner.io/publish-not-ready-addresses",
        "kubernetes.io/service-name",
        "submariner-io/clusterID",
        "submariner-io/originatingNamespace",
        "app.kubernetes.io/managed-by",
    ]

    /// `s`, or the identical constant from `common` (short strings are stored inline
    /// anyway and are returned as they are).
    static func interned(_ s: String) -> String {
        guard s.utf8.count > 15 else { return s }
        for c in common where c.utf8.count == s.utf8.count && c == s { return c }
        return s
    }
}
