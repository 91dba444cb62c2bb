import AnswerTable
import FastJSON

/// Labels or annotations: a handful of key/value pairs packed into one byte array.
///
/// The store holds every object it watches for as long as it exists, and an
/// EndpointSlice carries five labels: as a `[String: String]` they cost about 800 bytes
/// (the hash storage plus a heap string for every key longer than 15 bytes), as a sorted
/// array of `String` pairs about 200 (32 bytes a pair), packed like this about 80. The
/// keys and values Lighthouse writes on every object (`common`) take one byte each; the
/// others are their UTF-8 bytes after a length. Reading a value makes its `String`:
/// only classifying an object does that, never answering.
public struct StringPairs: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: String)

    /// The pairs sorted by key (keys unique), each string as `Packed` writes it. The
    /// encoding of a string is unique, so equal pairs are equal bytes.
    private var bytes: [UInt8]

    public init() { bytes = [] }

    /// Pairs already packed (a slice of `ObjectMeta`'s bytes).
    init(packed: [UInt8]) { bytes = packed }

    /// The packed pairs, for `ObjectMeta`.
    var packedBytes: [UInt8] { bytes }

    /// The value under `key` among the pairs packed in `bytes[range]`, without copying them.
    /// A key the store asks of every object, with its packed form found once: a common
    /// string (Lighthouse's labels) is then matched by its index, not compared.
    struct PackedKey {
        let text: String
        /// The index in `common`, if the key is one (packing is canonical: a common
        /// string is always packed as its index).
        let common: UInt8?

        init(_ text: String) {
            self.text = text
            common = Packed.commonIndex(text).map { UInt8($0) }
        }

        /// Whether the string at `at` in `bytes` is this key; `at` moves past it.
        func matches(_ bytes: [UInt8], _ at: inout Int) -> Bool {
            if let c = common {
                let hit = bytes[at] == Packed.commonTag && bytes[at + 1] == c
                Packed.skip(bytes, &at)
                return hit
            }
            return Packed.equals(bytes, &at, text)
        }
    }

    /// The value under `key` among the pairs in `bytes[range]`; where it starts, or nil.
    static func valueOffset(in bytes: [UInt8], _ range: Range<Int>, key: PackedKey) -> Int? {
        var at = range.lowerBound
        while at < range.upperBound {
            if key.matches(bytes, &at) { return at }
            Packed.skip(bytes, &at)
        }
        return nil
    }

    static func value(in bytes: [UInt8], _ range: Range<Int>, key: String) -> String? {
        valueOffset(in: bytes, range, key: PackedKey(key)).map { Packed.read(bytes, at: $0) }
    }

    public init(_ dictionary: [String: String]) {
        self.init(sortedPairs: dictionary.map { (key: $0.key, value: $0.value) }.sorted { $0.key < $1.key })
    }

    /// Pairs in any order; nil when a key appears twice (the fast decoder leaves such
    /// an object to JSONDecoder).
    init?(uniquePairs pairs: [Element]) {
        // A handful of pairs, often in order already (the API server writes map keys
        // sorted): sorted in place by insertion, no second array. Many pairs (an object
        // may carry thousands) are sorted the usual way, not in quadratic time.
        var sorted = pairs.count <= 16 ? pairs : pairs.sorted { $0.key < $1.key }
        var i = 1
        while i < sorted.count {
            var j = i
            while j > 0, sorted[j].key < sorted[j - 1].key {
                sorted.swapAt(j, j - 1)
                j -= 1
            }
            if j > 0, sorted[j].key == sorted[j - 1].key { return nil }
            i += 1
        }
        self.init(sortedPairs: sorted)
    }

    private init(sortedPairs pairs: [Element]) {
        let total = pairs.reduce(0) { $0 + Packed.size($1.key) + Packed.size($1.value) }
        bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            var w = Packed.Writer(buffer)
            for p in pairs {
                w.string(p.key)
                w.string(p.value)
            }
            precondition(w.count == total, "packed pairs size")
            count = total
        }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        var d: [String: String] = [:]
        for (k, v) in elements { d[k] = v }
        self.init(d)
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Counted by a scan (one word per object saved; only tests and reports ask).
    public var count: Int { reduce(0) { n, _ in n + 1 } }

    /// The value under `key`; nil when absent. Setting nil removes the pair.
    public subscript(key: String) -> String? {
        get {
            // A handful of pairs: a scan that compares bytes beats hashing the key.
            Self.value(in: bytes, 0..<bytes.count, key: key)
        }
        set {
            var pairs = Array(self).filter { $0.key != key }
            if let v = newValue {
                let at = pairs.firstIndex { $0.key > key } ?? pairs.count
                pairs.insert((key: key, value: v), at: at)
            }
            self = StringPairs(sortedPairs: pairs)
        }
    }

    public var dictionary: [String: String] {
        Dictionary(map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    public struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var at = 0

        public mutating func next() -> Element? {
            guard at < bytes.count else { return nil }
            let key = Packed.read(bytes, &at)
            return (key: key, value: Packed.read(bytes, &at))
        }
    }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    public static func == (a: StringPairs, b: StringPairs) -> Bool { a.bytes == b.bytes }

    /// The label keys and values on every Lighthouse object: one byte each.
    static let common: [String] = (0..<commonCount).map { String(describing: commonText($0)) }

    static let commonCount = 14

    /// Common string `i` (below `commonCount`): the one list of them. A `StaticString`,
    /// so that the decoder compares input with it in place.
    static func commonText(_ i: Int) -> StaticString {
        switch i {
        case 0: return "endpointslice.kubernetes.io/managed-by"
        case 1: return "lighthouse-agent.submariner.io"
        case 2: return "multicluster.kubernetes.io/service-name"
        case 3: return "multicluster.kubernetes.io/source-cluster"
        case 4: return "lighthouse.submariner.io/sourceNamespace"
        case 5: return "lighthouse.submariner.io/sourceCluster"
        case 6: return "lighthouse.submariner.io/is-headless"
        case 7: return "lighthouse.submariner.io/publish-not-ready-addresses"
        case 8: return "kubernetes.io/service-name"
        case 9: return "submariner-io/clusterID"
        case 10: return "submariner-io/originatingNamespace"
        case 11: return "app.kubernetes.io/managed-by"
        case 12: return "true"
        default: return "false"
        }
    }

    /// One string in `bytes`: `0xFF, i` for `common[i]`; `0xFE` and a four-byte
    /// little-endian length before a string of 254 bytes or more; else a one-byte length.
    enum Packed {
        static let commonTag: UInt8 = 0xFF
        static let longTag: UInt8 = 0xFE

        /// The index of the common string with `s`'s UTF-8 bytes, if one is.
        static func commonIndex(_ s: String) -> Int? {
            var s = s
            return s.withUTF8 { commonIndex(matching: UnsafeRawBufferPointer($0)) }
        }

        /// The index of the common string whose UTF-8 bytes are `raw`, if one is: the
        /// length picks the candidate (one, or two of 38 bytes), compared in place. The
        /// decoder asks for every label key and value (4 million at start-up with 100,000
        /// services): a table of the strings' bytes cost a lazy-global check and a retain
        /// of each candidate's array per question. The lengths are `commonText`'s
        /// (`StartupPathTests.commonStringsAreFoundByLengthAndBytes` holds them to it).
        static func commonIndex(matching raw: UnsafeRawBufferPointer) -> Int? {
            guard let base = raw.baseAddress else { return nil }
            func hit(_ i: Int) -> Int? {
                bytesEqual(base, UnsafeRawPointer(commonText(i).utf8Start), raw.count) ? i : nil
            }
            switch raw.count {
            case 38: return hit(0) ?? hit(5)
            case 30: return hit(1)
            case 39: return hit(2)
            case 41: return hit(3)
            case 40: return hit(4)
            case 36: return hit(6)
            case 52: return hit(7)
            case 26: return hit(8)
            case 23: return hit(9)
            case 34: return hit(10)
            case 28: return hit(11)
            case 4: return hit(12)
            case 5: return hit(13)
            default: return nil
            }
        }

        /// Writes packed strings into a buffer sized for them beforehand (`size`): the one
        /// writer of the packing.
        struct Writer {
            private let buffer: UnsafeMutableBufferPointer<UInt8>
            private(set) var count = 0

            init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

            mutating func byte(_ b: UInt8) {
                buffer[count] = b
                count += 1
            }

            mutating func raw(_ bytes: UnsafeRawBufferPointer) {
                guard let p = bytes.baseAddress, bytes.count > 0, let base = buffer.baseAddress else { return }
                precondition(count + bytes.count <= buffer.count, "packed bytes beyond their size")
                UnsafeMutableRawPointer(base + count).copyMemory(from: p, byteCount: bytes.count)
                count += bytes.count
            }

            /// A string, its common index found already (`commonIndex(matching:)`).
            mutating func string(_ bytes: UnsafeRawBufferPointer, common: Int?) {
                if let c = common {
                    byte(commonTag)
                    byte(UInt8(c))
                    return
                }
                let n = bytes.count
                if n < Int(longTag) {
                    byte(UInt8(n))
                } else {
                    byte(longTag)
                    for k in 0..<4 { byte(UInt8(truncatingIfNeeded: n >> (8 * k))) }
                }
                raw(bytes)
            }

            mutating func string(_ s: String) {
                var s = s
                s.withUTF8 { u in
                    let raw = UnsafeRawBufferPointer(u)
                    string(raw, common: commonIndex(matching: raw))
                }
            }
        }

        static func size(_ s: String) -> Int {
            var s = s
            return s.withUTF8 { size(bytes: UnsafeRawBufferPointer($0)) }
        }

        /// The packed size of a string given as its UTF-8 bytes.
        static func size(bytes raw: UnsafeRawBufferPointer) -> Int {
            commonIndex(matching: raw) != nil ? 2 : size(uncommon: raw.count)
        }

        /// The packed size of a string of `n` bytes that is no common string.
        static func size(uncommon n: Int) -> Int { n < Int(longTag) ? 1 + n : 5 + n }

        /// The bytes of the string at `at` (a range of `bytes`, or a common string's
        /// index), and where the next string starts.
        static func locate(_ bytes: [UInt8], _ at: Int) -> (common: Int?, range: Range<Int>, next: Int) {
            switch bytes[at] {
            case commonTag:
                return (Int(bytes[at + 1]), at..<at, at + 2)
            case longTag:
                var n = 0
                for k in 0..<4 { n |= Int(bytes[at + 1 + k]) << (8 * k) }
                return (nil, (at + 5)..<(at + 5 + n), at + 5 + n)
            case let n:
                return (nil, (at + 1)..<(at + 1 + Int(n)), at + 1 + Int(n))
            }
        }

        /// The string at `offset`.
        static func read(_ bytes: [UInt8], at offset: Int) -> String {
            var at = offset
            return read(bytes, &at)
        }

        static func read(_ bytes: [UInt8], _ at: inout Int) -> String {
            let l = locate(bytes, at)
            at = l.next
            if let c = l.common { return common[c] }
            return String(decoding: bytes[l.range], as: UTF8.self)
        }

        static func skip(_ bytes: [UInt8], _ at: inout Int) { at = locate(bytes, at).next }

        /// Whether the string at `at` is `s`, without making a `String`.
        static func equals(_ bytes: [UInt8], _ at: inout Int, _ s: String) -> Bool {
            let l = locate(bytes, at)
            at = l.next
            if let c = l.common { return common[c] == s }
            return bytes[l.range].elementsEqual(s.utf8)
        }
    }
}
