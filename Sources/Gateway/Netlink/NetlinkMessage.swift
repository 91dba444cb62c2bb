/// One rtnetlink request being built: the 16-byte header, a family header, then
/// attributes (type-length-value, each padded to 4 bytes; nested ones hold others).
struct NetlinkMessage {
    private(set) var bytes: [UInt8]
    private var nests: [Int] = []

    init(type: UInt16, flags: UInt16, familyHeader: [UInt8]) {
        bytes = [UInt8](repeating: 0, count: RTNetlink.headerSize)
        Self.put16(&bytes, 4, type)
        Self.put16(&bytes, 6, flags | RTNetlink.request)
        bytes += familyHeader
    }

    /// The header's length and sequence number, set just before sending.
    mutating func finish(sequence: UInt32) -> [UInt8] {
        Self.put32(&bytes, 0, UInt32(bytes.count))
        Self.put32(&bytes, 8, sequence)
        return bytes
    }

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        var a = [UInt8](repeating: 0, count: 4)
        Self.put16(&a, 0, UInt16(4 + payload.count))
        Self.put16(&a, 2, type)
        bytes += a + payload
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    mutating func attribute(_ type: UInt16, u32 v: UInt32) { attribute(type, Self.le32(v)) }
    mutating func attribute(_ type: UInt16, string: String) { attribute(type, Array(string.utf8) + [0]) }
    mutating func attribute(_ type: UInt16, ip: IPv4) { attribute(type, ip.bytes) }

    mutating func beginNest(_ type: UInt16) {
        nests.append(bytes.count)
        attribute(type, [])
    }

    mutating func endNest() {
        guard let start = nests.popLast() else { return }
        Self.put16(&bytes, start, UInt16(bytes.count - start))
    }

    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) { b[at] = UInt8(v & 255); b[at + 1] = UInt8(v >> 8) }
    static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for i in 0..<4 { b[at + i] = UInt8((v >> (8 * UInt32(i))) & 255) }
    }

    // Family headers.
    static func ifinfo(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        [0, 0, 0, 0] + le32(UInt32(bitPattern: index)) + le32(flags) + le32(change)
    }

    static func ifaddr(prefix: UInt8, index: Int32) -> [UInt8] {
        [RTNetlink.afInet, prefix, 0, RTNetlink.scopeUniverse] + le32(UInt32(bitPattern: index))
    }

    static func rtmsg(dstLen: UInt8, table: UInt8, protocolID: UInt8, scope: UInt8, type: UInt8, flags: UInt32 = 0) -> [UInt8] {
        [RTNetlink.afInet, dstLen, 0, 0, table, protocolID, scope, type] + le32(flags)
    }

    static func rule(table: UInt8, action: UInt8) -> [UInt8] {
        [RTNetlink.afInet, 0, 0, 0, table, 0, 0, action] + le32(0)
    }

    static func ndmsg(family: UInt8, index: Int32, state: UInt16, flags: UInt8) -> [UInt8] {
        [family, 0, 0, 0] + le32(UInt32(bitPattern: index)) + [UInt8(state & 255), UInt8(state >> 8), flags, 0]
    }
}

/// One message of a reply: its type, the family header's bytes and the attributes.
struct NetlinkReply {
    var type: UInt16
    var body: ArraySlice<UInt8>

    /// Top-level attributes after a family header of `headerSize` bytes.
    func attributes(after headerSize: Int) -> [UInt16: ArraySlice<UInt8>] {
        Self.attributes(in: body.dropFirst(headerSize))
    }

    static func attributes(in data: ArraySlice<UInt8>) -> [UInt16: ArraySlice<UInt8>] {
        var out: [UInt16: ArraySlice<UInt8>] = [:]
        var i = data.startIndex
        while i + 4 <= data.endIndex {
            let len = Int(data[i]) | Int(data[i + 1]) << 8
            let type = (UInt16(data[i + 2]) | UInt16(data[i + 3]) << 8) & 0x3FFF
            guard len >= 4, i + len <= data.endIndex else { break }
            out[type] = data[(i + 4)..<(i + len)]
            i += (len + 3) & ~3
        }
        return out
    }

    func u8(_ offset: Int) -> UInt8 { body[body.startIndex + offset] }
    func u32(_ offset: Int) -> UInt32 { Self.u32(body, at: body.startIndex + offset) }

    static func u32(_ b: ArraySlice<UInt8>, at i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    static func u32(_ b: ArraySlice<UInt8>?) -> UInt32? {
        guard let b, b.count >= 4 else { return nil }
        return u32(b, at: b.startIndex)
    }

    static func ipv4(_ b: ArraySlice<UInt8>?) -> IPv4? {
        guard let b, b.count == 4 else { return nil }
        let i = b.startIndex
        return IPv4(UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]))
    }

    static func string(_ b: ArraySlice<UInt8>?) -> String? {
        guard let b else { return nil }
        return String(decoding: b.prefix { $0 != 0 }, as: UTF8.self)
    }
}
