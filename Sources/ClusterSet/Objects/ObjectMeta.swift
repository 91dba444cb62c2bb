/// The parts of `metadata` Sextant reads, packed into one byte array.
///
/// The store keeps every object for as long as it exists; an EndpointSlice's name
/// (`<svc>-<cluster>`, often over 15 bytes) was a heap string and its labels an array
/// of their own, next to five `String` fields in the object's storage. Here the name,
/// namespace, resourceVersion, labels and annotations are one array (`StringPairs`'
/// packing: Lighthouse's label keys and values a byte each). Reading a field makes its
/// `String`; the store's hot paths compare in place (`isNamed`, `label`, `annotation`).
public struct ObjectMeta: Decodable, Sendable, Equatable {
    /// Name, namespace (packed strings), resourceVersion (a byte 0 for none, 1 and a
    /// packed string), where the annotations start (UInt32, little-endian), the labels'
    /// pairs, the annotations' pairs. Packing is canonical: equal fields, equal bytes.
    private var bytes: [UInt8]

    enum CodingKeys: String, CodingKey { case name, namespace, labels, annotations, resourceVersion }

    public init(name: String, namespace: String = "", labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.init(name: name, namespace: namespace, resourceVersion: nil, labels: StringPairs(labels), annotations: StringPairs(annotations))
    }

    init(name: String, namespace: String, resourceVersion: String?, labels: StringPairs, annotations: StringPairs) {
        var name = name, namespace = namespace
        self = name.withUTF8 { n in
            namespace.withUTF8 { ns in
                ObjectMeta(name: UnsafeRawBufferPointer(n), namespace: UnsafeRawBufferPointer(ns), resourceVersion: resourceVersion,
                           labels: labels, annotations: annotations)
            }
        }
    }

    /// The same with the name and namespace as their UTF-8 bytes (the fast decoder's, read
    /// in place: no `String` made for either).
    init(name: UnsafeRawBufferPointer, namespace: UnsafeRawBufferPointer, resourceVersion: String?, labels: StringPairs,
         annotations: StringPairs) {
        typealias P = StringPairs.Packed
        var out: [UInt8] = []
        out.reserveCapacity(P.size(bytes: name) + P.size(bytes: namespace) + 1 + (resourceVersion.map(P.size) ?? 0) + 4
                            + labels.packedBytes.count + annotations.packedBytes.count)
        P.append(bytes: name, to: &out)
        P.append(bytes: namespace, to: &out)
        if let rv = resourceVersion {
            out.append(1)
            P.append(rv, to: &out)
        } else {
            out.append(0)
        }
        let annotationsAt = out.count + 4 + labels.packedBytes.count
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: annotationsAt >> (8 * k))) }
        out += labels.packedBytes
        out += annotations.packedBytes
        bytes = out
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name),
                  namespace: try c.decodeIfPresent(String.self, forKey: .namespace) ?? "",
                  resourceVersion: try c.decodeIfPresent(String.self, forKey: .resourceVersion),
                  labels: StringPairs(try c.decodeIfPresent(StringMap.self, forKey: .labels)?.values ?? [:]),
                  annotations: StringPairs(try c.decodeIfPresent(StringMap.self, forKey: .annotations)?.values ?? [:]))
    }

    /// Where the fields start: namespace, resourceVersion flag, labels, annotations.
    private var layout: (namespace: Int, version: Int, labels: Int, annotations: Int) {
        let namespace = StringPairs.Packed.locate(bytes, 0).next
        let version = StringPairs.Packed.locate(bytes, namespace).next
        var at = version + 1
        if bytes[version] == 1 { at = StringPairs.Packed.locate(bytes, at).next }
        var annotations = 0
        for k in 0..<4 { annotations |= Int(bytes[at + k]) << (8 * k) }
        return (namespace, version, at + 4, annotations)
    }

    private func string(at offset: Int) -> String { StringPairs.Packed.read(bytes, at: offset) }

    private mutating func rebuild(_ change: (inout String, inout String, inout String?, inout StringPairs, inout StringPairs) -> Void) {
        var (n, ns, rv, l, a) = (name, namespace, resourceVersion, labels, annotations)
        change(&n, &ns, &rv, &l, &a)
        self = ObjectMeta(name: n, namespace: ns, resourceVersion: rv, labels: l, annotations: a)
    }

    public var name: String {
        get { string(at: 0) }
        set { rebuild { n, _, _, _, _ in n = newValue } }
    }

    public var namespace: String {
        get { string(at: layout.namespace) }
        set { rebuild { _, ns, _, _, _ in ns = newValue } }
    }

    public var resourceVersion: String? {
        get {
            let v = layout.version
            return bytes[v] == 1 ? string(at: v + 1) : nil
        }
        set { rebuild { _, _, rv, _, _ in rv = newValue } }
    }

    public var labels: StringPairs {
        get {
            let l = layout
            return StringPairs(packed: Array(bytes[l.labels..<l.annotations]))
        }
        set { rebuild { _, _, _, l, _ in l = newValue } }
    }

    public var annotations: StringPairs {
        get { StringPairs(packed: Array(bytes[layout.annotations...])) }
        set { rebuild { _, _, _, _, a in a = newValue } }
    }

    /// A label's value, read in place.
    public func label(_ key: String) -> String? {
        let l = layout
        return StringPairs.value(in: bytes, l.labels..<l.annotations, key: key)
    }

    /// An annotation's value, read in place.
    public func annotation(_ key: String) -> String? {
        StringPairs.value(in: bytes, layout.annotations..<bytes.count, key: key)
    }

    /// The fields located once, for reading several: classifying an object asks for up
    /// to six labels and its name and namespace, and each on its own located every field
    /// again (a fifth of applying a first load).
    struct Reader {
        private let bytes: [UInt8]
        private let labels: Range<Int>
        private let annotations: Range<Int>
        private let namespaceAt: Int

        fileprivate init(_ meta: ObjectMeta) {
            bytes = meta.bytes
            let l = meta.layout
            labels = l.labels..<l.annotations
            annotations = l.annotations..<meta.bytes.count
            namespaceAt = l.namespace
        }

        func annotation(_ key: StringPairs.PackedKey) -> String? {
            StringPairs.valueOffset(in: bytes, annotations, key: key).map(string(at:))
        }

        var name: String { string(at: 0) }
        var namespace: String { string(at: namespaceAt) }

        func label(_ key: StringPairs.PackedKey) -> String? {
            StringPairs.valueOffset(in: bytes, labels, key: key).map(string(at:))
        }

        /// Whether label `key` is present and its value is `value`, compared in place.
        func label(_ key: StringPairs.PackedKey, is value: StringPairs.PackedKey) -> Bool {
            guard var at = StringPairs.valueOffset(in: bytes, labels, key: key) else { return false }
            return value.matches(bytes, &at)
        }

        func hasLabel(_ key: StringPairs.PackedKey) -> Bool { StringPairs.valueOffset(in: bytes, labels, key: key) != nil }

        /// Whether the name ends with `-` and `suffix` (`String.hasSuffix`), compared in
        /// place when both are ASCII (else characters compare as normalized text).
        func nameEnds(withDashAnd suffix: String) -> Bool {
            let l = StringPairs.Packed.locate(bytes, 0)
            guard l.common == nil, bytes[l.range].allSatisfy({ $0 < 0x80 }), suffix.utf8.allSatisfy({ $0 < 0x80 }) else {
                return name.hasSuffix("-" + suffix)
            }
            let tail = suffix.utf8
            guard l.range.count > tail.count else { return false }
            let start = l.range.upperBound - tail.count
            return bytes[start - 1] == UInt8(ascii: "-") && bytes[start..<l.range.upperBound].elementsEqual(tail)
        }

        private func string(at offset: Int) -> String { StringPairs.Packed.read(bytes, at: offset) }
    }

    var reader: Reader { Reader(self) }

    /// Whether `(namespace, name)` orders before the given pair as `String`s do (the
    /// order of `ObjectKey`), compared in place when all four are plain ASCII bytes.
    func precedes(namespace: String, name: String) -> Bool {
        let n = StringPairs.Packed.locate(bytes, 0)
        let ns = StringPairs.Packed.locate(bytes, n.next)
        if n.common == nil, ns.common == nil,
           let byNamespace = Self.asciiOrder(bytes[ns.range], namespace) {
            if byNamespace != 0 { return byNamespace < 0 }
            if let byName = Self.asciiOrder(bytes[n.range], name) { return byName < 0 }
        }
        return (self.namespace, self.name) < (namespace, name)
    }

    /// Byte order of `a` against `b` (-1, 0, 1) when both are ASCII throughout (then it
    /// is `String` order); nil otherwise. Throughout: `String` compares normalized text,
    /// and a combining mark after an ASCII letter changes how that letter orders.
    private static func asciiOrder(_ a: ArraySlice<UInt8>, _ b: String) -> Int? {
        guard a.allSatisfy({ $0 < 0x80 }), b.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        var i = a.startIndex
        for y in b.utf8 {
            guard i < a.endIndex else { return -1 }
            let x = a[i]
            if x != y { return x < y ? -1 : 1 }
            i += 1
        }
        return i == a.endIndex ? 0 : 1
    }

    /// Whether the object is `namespace/name`, compared in place.
    public func isNamed(_ name: String, namespace: String) -> Bool {
        var at = 0
        return StringPairs.Packed.equals(bytes, &at, name) && StringPairs.Packed.equals(bytes, &at, namespace)
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
