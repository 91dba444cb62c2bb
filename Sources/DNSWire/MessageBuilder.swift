/// Writes DNS messages or message fragments with name compression (RFC 1035 §4.1.4).
///
/// Used where data changes (answer compilation) and by tests, never per query. `base`
/// is the offset at which `bytes` will start inside the final message, so a fragment
/// compiled once can point into parts that are filled in later (the echoed question).
public struct MessageBuilder: Sendable {
    public private(set) var bytes: [UInt8] = []
    public let base: Int
    /// Known names (suffixes), their hash and the absolute offsets where they start. A
    /// message holds a few dozen at most: a linear scan on the hash beats hashing every
    /// byte into a dictionary (which dominated compile time).
    private var known: [(hash: UInt64, suffix: ArraySlice<UInt8>, offset: Int)] = []

    public init(base: Int = 0) {
        self.base = base
        bytes.reserveCapacity(512)
    }

    public var offset: Int { base + bytes.count }

    /// Calls `body` with each label start of `w` and the hash of the suffix from there,
    /// first label first. Suffix hashes are built from the root up, so each byte is
    /// hashed once.
    @inline(__always)
    static func suffixes(_ w: [UInt8], _ body: (Int, UInt64) -> Bool) {
        withUnsafeTemporaryAllocation(of: (Int, UInt64).self, capacity: Wire.Name.maxLength / 2 + 1) { buf in
            var n = 0
            var i = 0
            while w[i] != 0 {
                buf[n] = (i, 0)
                n += 1
                i += 1 + Int(w[i])
            }
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            var k = n - 1
            while k >= 0 {
                let start = buf[k].0
                for j in start...(start + Int(w[start])) { h = (h ^ UInt64(w[j])) &* 0x0000_0100_0000_01B3 }
                buf[k].1 = h
                k -= 1
            }
            for k in 0..<n where !body(buf[k].0, buf[k].1) { return }
        }
    }

    @inline(__always)
    func find(_ hash: UInt64, _ suffix: ArraySlice<UInt8>) -> Int? {
        for e in known where e.hash == hash && e.suffix.elementsEqual(suffix) { return e.offset }
        return nil
    }

    /// Makes `name` (and every suffix of it) available for compression at `offset`,
    /// for names that the final message will hold at a position this builder does not write.
    public mutating func register(_ name: DNSName, at offset: Int) {
        let w = name.wire
        Self.suffixes(w) { i, h in
            let o = offset + i
            if o <= Wire.Name.maxPointerOffset, find(h, w[i...]) == nil { known.append((h, w[i...], o)) }
            return true
        }
    }

    public mutating func append(_ name: DNSName, compress: Bool) {
        let w = name.wire
        var done = false
        Self.suffixes(w) { i, h in
            if compress, let target = find(h, w[i...]) {
                appendUInt16(0xC000 | UInt16(target))
                done = true
                return false
            }
            let o = offset
            if o <= Wire.Name.maxPointerOffset, find(h, w[i...]) == nil { known.append((h, w[i...], o)) }
            let len = Int(w[i])
            bytes.append(contentsOf: w[i...(i + len)])
            return true
        }
        if !done { bytes.append(0) }
    }

    public mutating func appendUInt16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(v & 0xFF))
    }

    public mutating func appendUInt32(_ v: UInt32) {
        appendUInt16(UInt16(v >> 16))
        appendUInt16(UInt16(v & 0xFFFF))
    }

    public mutating func append(bytes b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    public mutating func patchUInt16(_ v: UInt16, atLocal i: Int) {
        bytes[i] = UInt8(v >> 8)
        bytes[i + 1] = UInt8(v & 0xFF)
    }

    /// Appends a record; its owner is always compressible, its RDATA names only where
    /// the type allows it.
    public mutating func append(_ rr: ResourceRecord) {
        append(rr.name, compress: true)
        appendUInt16(rr.type.rawValue)
        appendUInt16(rr.rclass)
        appendUInt32(rr.ttl)
        let lengthAt = bytes.count
        appendUInt16(0)
        let start = bytes.count
        let compress = rr.type.allowsNameCompression
        for piece in rr.rdata.pieces {
            switch piece {
            case .bytes(let b): bytes.append(contentsOf: b)
            case .name(let n): append(n, compress: compress)
            }
        }
        patchUInt16(UInt16(bytes.count - start), atLocal: lengthAt)
    }

    /// A complete query, for tests and tools.
    public static func query(
        id: UInt16, name: DNSName, type: RRType, rd: Bool = false,
        edns: (udpSize: UInt16, version: UInt8, dnssecOK: Bool)? = (1232, 0, false),
        rclass: UInt16 = RRClass.in.rawValue
    ) -> [UInt8] {
        var b = MessageBuilder()
        b.appendUInt16(id)
        b.appendUInt16(rd ? Wire.Flag.rd : 0)
        b.appendUInt16(1)
        b.appendUInt16(0)
        b.appendUInt16(0)
        b.appendUInt16(edns == nil ? 0 : 1)
        b.append(name, compress: false)
        b.appendUInt16(type.rawValue)
        b.appendUInt16(rclass)
        if let e = edns { b.appendOPT(udpSize: e.udpSize, extendedRCode: 0, version: e.version, dnssecOK: e.dnssecOK) }
        return b.bytes
    }

    /// An OPT record with no options.
    public mutating func appendOPT(udpSize: UInt16, extendedRCode: UInt8, version: UInt8, dnssecOK: Bool, options: [UInt8] = []) {
        bytes.append(0)
        appendUInt16(RRType.opt.rawValue)
        appendUInt16(udpSize)
        bytes.append(extendedRCode)
        bytes.append(version)
        appendUInt16(dnssecOK ? Wire.EDNS.doBit : 0)
        appendUInt16(UInt16(options.count))
        bytes.append(contentsOf: options)
    }
}
