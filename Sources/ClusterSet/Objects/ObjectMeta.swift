import FastJSON
import Glibc

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
        let none = StringPairs.ASCIIPieces(slots: UnsafeMutableBufferPointer(start: nil, count: 0))
        self.init(name: name, namespace: namespace, resourceVersion: resourceVersion,
                  labels: labels, labelPieces: none, annotations: annotations, annotationPieces: none)
    }

    /// The same with labels or annotations as the decoder may have them: read in place
    /// (`pieces`, used when the packed pairs are nil), packed straight into the bytes kept.
    init(name: UnsafeRawBufferPointer, namespace: UnsafeRawBufferPointer, resourceVersion: String?,
         labels: StringPairs?, labelPieces: StringPairs.ASCIIPieces,
         annotations: StringPairs?, annotationPieces: StringPairs.ASCIIPieces) {
        typealias P = StringPairs.Packed
        let labelCount = if let labels { labels.packedBytes.count } else { labelPieces.packedCount }
        let annotationCount = if let annotations { annotations.packedBytes.count } else { annotationPieces.packedCount }
        let nameCommon = P.commonIndex(matching: name), namespaceCommon = P.commonIndex(matching: namespace)
        func size(_ raw: UnsafeRawBufferPointer, _ common: Int?) -> Int { common == nil ? P.size(uncommon: raw.count) : 2 }
        let head = size(name, nameCommon) + size(namespace, namespaceCommon)
        var version = resourceVersion ?? ""
        bytes = version.withUTF8 { rv in
            let rv = UnsafeRawBufferPointer(rv)
            let versionCommon = resourceVersion == nil ? nil : P.commonIndex(matching: rv)
            let versionSize = resourceVersion == nil ? 0 : size(rv, versionCommon)
            let total = head + 1 + versionSize + 4 + labelCount + annotationCount
            // Written in place, its size known: appending checked capacity and uniqueness
            // at every byte (400,000 objects at start-up).
            return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
                var w = P.Writer(buffer)
                w.string(name, common: nameCommon)
                w.string(namespace, common: namespaceCommon)
                if resourceVersion != nil {
                    w.byte(1)
                    w.string(rv, common: versionCommon)
                } else {
                    w.byte(0)
                }
                let annotationsAt = w.count + 4 + labelCount
                for k in 0..<4 { w.byte(UInt8(truncatingIfNeeded: annotationsAt >> (8 * k))) }
                if let labels { labels.packedBytes.withUnsafeBytes { w.raw($0) } } else { labelPieces.pack(into: &w) }
                if let annotations { annotations.packedBytes.withUnsafeBytes { w.raw($0) } } else { annotationPieces.pack(into: &w) }
                precondition(w.count == total, "packed metadata size")
                count = total
            }
        }
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

        /// Where the values of up to five labels start (nil: absent), found in one pass
        /// over the labels: classifying a slice asks for five, and a pass each was a
        /// tenth of applying a first load. Keys that are common strings (Lighthouse's)
        /// are matched by their index; any other by its text.
        func labelOffsets(_ keys: [StringPairs.PackedKey]) -> InlineArray<5, Int?> {
            var found = InlineArray<5, Int?>(repeating: nil)
            precondition(keys.count <= 5, "at most five labels at once")
            // The keys' common indexes (0xFF: none), read once.
            var wanted = InlineArray<5, UInt8>(repeating: 0xFF)
            var allCommon = true
            for k in keys.indices {
                if let c = keys[k].common { wanted[k] = c } else { allCommon = false }
            }
            var at = labels.lowerBound
            while at < labels.upperBound {
                let keyAt = at
                StringPairs.Packed.skip(bytes, &at)
                if bytes[keyAt] == StringPairs.Packed.commonTag {
                    let c = bytes[keyAt + 1]
                    for k in 0..<keys.count where wanted[k] == c && found[k] == nil {
                        found[k] = at
                        break
                    }
                } else if !allCommon {
                    for k in keys.indices where found[k] == nil && keys[k].common == nil {
                        var probe = keyAt
                        if keys[k].matches(bytes, &probe) {
                            found[k] = at
                            break
                        }
                    }
                }
                StringPairs.Packed.skip(bytes, &at)
            }
            return found
        }

        /// The string whose packing starts at `offset` (a label's value).
        func string(atOffset offset: Int) -> String { string(at: offset) }

        /// Whether the string packed at `offset` is `value`, compared in place.
        func string(atOffset offset: Int, is value: StringPairs.PackedKey) -> Bool {
            var at = offset
            return value.matches(bytes, &at)
        }

        /// Whether the namespace is the string packed at `offset`, compared in place (a
        /// string's packing is unique: equal strings are equal bytes).
        func namespaceIs(stringAt offset: Int) -> Bool {
            let n = StringPairs.Packed.locate(bytes, namespaceAt).next - namespaceAt
            guard StringPairs.Packed.locate(bytes, offset).next - offset == n else { return false }
            return bytes.withUnsafeBytes { b in
                guard let base = b.baseAddress else { return n == 0 }
                return memcmp(base + namespaceAt, base + offset, n) == 0
            }
        }

        /// Whether the namespace is `text`, compared in place.
        func namespaceIs(_ text: String) -> Bool {
            var at = namespaceAt
            return StringPairs.Packed.equals(bytes, &at, text)
        }

        /// Whether the name ends with `-` and `suffix` (`String.hasSuffix`), compared in
        /// place when both are ASCII (else characters compare as normalized text).
        func nameEnds(withDashAnd suffix: String) -> Bool {
            let l = StringPairs.Packed.locate(bytes, 0)
            var suffix = suffix
            let inPlace: Bool? = l.common != nil ? nil : bytes[l.range].withUnsafeBytes { name in
                suffix.withUTF8 { tail -> Bool? in
                    let tail = UnsafeRawBufferPointer(tail)
                    guard ObjectMeta.isASCII(name), ObjectMeta.isASCII(tail) else { return nil }
                    guard name.count > tail.count, let n = name.baseAddress else { return false }
                    let start = name.count - tail.count
                    return name[start - 1] == UInt8(ascii: "-")
                        && (tail.isEmpty || tail.baseAddress.map { memcmp(n + start, $0, tail.count) == 0 } == true)
                }
            }
            return inPlace ?? name.hasSuffix("-" + suffix)
        }

        private func string(at offset: Int) -> String { StringPairs.Packed.read(bytes, at: offset) }
    }

    var reader: Reader { Reader(self) }

    /// Whether every byte is below 0x80.
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var any: UInt8 = 0
        for b in bytes { any |= b }
        return any < 0x80
    }

    /// Whether the object is `namespace/name`, compared in place.
    public func isNamed(_ name: String, namespace: String) -> Bool {
        var at = 0
        return StringPairs.Packed.equals(bytes, &at, name) && StringPairs.Packed.equals(bytes, &at, namespace)
    }

    /// Whether both have the same name and namespace: the packed bytes compared (a
    /// string's packing is unique, so equal strings are equal bytes).
    func hasSameName(as other: ObjectMeta) -> Bool {
        let end = nameAndNamespaceEnd
        guard other.nameAndNamespaceEnd == end else { return false }
        return bytes.withUnsafeBytes { a in
            other.bytes.withUnsafeBytes { b in
                guard let pa = a.baseAddress, let pb = b.baseAddress else { return false }
                return memcmp(pa, pb, end) == 0
            }
        }
    }

    /// Where the packed name and namespace end (the metadata's first two strings).
    private var nameAndNamespaceEnd: Int {
        StringPairs.Packed.locate(bytes, StringPairs.Packed.locate(bytes, 0).next).next
    }

    /// The name's and the namespace's UTF-8 bytes, in place unless one is a common
    /// string (then through its `String`; the same bytes).
    @inline(__always) func withNameAndNamespace<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        let n = StringPairs.Packed.locate(bytes, 0)
        let ns = StringPairs.Packed.locate(bytes, n.next)
        if n.common == nil, ns.common == nil {
            return bytes.withUnsafeBytes { b in
                body(UnsafeRawBufferPointer(rebasing: b[n.range]), UnsafeRawBufferPointer(rebasing: b[ns.range]))
            }
        }
        var name = self.name, namespace = self.namespace
        return name.withUTF8 { x in namespace.withUTF8 { y in body(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) } }
    }

    /// Whether `(namespace, name)` orders before `other`'s as `String`s do, compared in
    /// place when all four are ASCII throughout (then byte order is `String` order;
    /// otherwise `String` compares normalized text, and a combining mark after an ASCII
    /// letter changes how that letter orders).
    func precedes(_ other: ObjectMeta) -> Bool {
        let ascii: Bool? = withNameAndNamespace { name, namespace in
            other.withNameAndNamespace { otherName, otherNamespace in
                guard Self.isASCII(name), Self.isASCII(namespace), Self.isASCII(otherName), Self.isASCII(otherNamespace) else {
                    return nil
                }
                let byNamespace = bytesOrder(namespace, otherNamespace)
                return byNamespace != 0 ? byNamespace < 0 : bytesOrder(name, otherName) < 0
            }
        }
        return ascii ?? ((namespace, name) < (other.namespace, other.name))
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
