/// A whole decoded message, for tests, tools and the zone compiler: allocates freely and
/// is never used per query (`QueryParser` is).
public struct Message: Sendable {
    public var id: UInt16
    public var flags: UInt16
    public var questions: [(name: DNSName, type: RRType, rclass: UInt16)]
    public var answers: [ResourceRecord]
    public var authority: [ResourceRecord]
    /// The additional section without the OPT record.
    public var additional: [ResourceRecord]
    public var edns: EDNSQuery?
    /// The question name exactly as sent (case preserved), for echo checks.
    public var rawQuestionName: [UInt8]?

    public var isResponse: Bool { flags & Wire.Flag.qr != 0 }
    public var opcode: Opcode { Opcode(rawValue: UInt8((flags & Wire.Flag.opcodeMask) >> Wire.Flag.opcodeShift)) }
    public var authoritative: Bool { flags & Wire.Flag.aa != 0 }
    public var truncated: Bool { flags & Wire.Flag.tc != 0 }
    /// The full RCODE, with the OPT record's extended bits when present.
    public var rcode: RCode {
        RCode(rawValue: UInt16(edns?.extendedRCode ?? 0) << 4 | (flags & Wire.Flag.rcodeMask))
    }

    /// Decodes every section. Names may be compressed; pointers must point backwards.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        let r = Reader(bytes: bytes)
        guard bytes.count >= Wire.Header.size else { throw .truncated(offset: bytes.count) }
        id = r.u16(Wire.Header.id)
        flags = r.u16(Wire.Header.flags)
        let qd = Int(r.u16(Wire.Header.qdcount))
        let an = Int(r.u16(Wire.Header.ancount))
        let ns = Int(r.u16(Wire.Header.nscount))
        let ar = Int(r.u16(Wire.Header.arcount))
        var at = Wire.Header.size
        questions = []
        rawQuestionName = nil
        for _ in 0..<qd {
            let start = at
            let name = try r.name(at: &at)
            if rawQuestionName == nil { rawQuestionName = Array(bytes[start..<at]) }
            guard at + 4 <= bytes.count else { throw .truncated(offset: at) }
            questions.append((name, RRType(r.u16(at)), r.u16(at + 2)))
            at += 4
        }
        answers = try r.records(an, at: &at)
        authority = try r.records(ns, at: &at)
        let extra = try r.records(ar, at: &at)
        additional = []
        edns = nil
        for rr in extra {
            if rr.type == .opt {
                if edns != nil { throw .duplicateOPT(offset: at) }
                edns = EDNSQuery(
                    udpSize: rr.rclass, extendedRCode: UInt8(rr.ttl >> 24), version: UInt8((rr.ttl >> 16) & 0xFF),
                    flags: UInt16(rr.ttl & 0xFFFF), optionsOffset: 0, optionsLength: rr.rdata.wireLength)
                ednsOptions = rr.rdata.wire
            } else {
                additional.append(rr)
            }
        }
    }

    /// The OPT record's option bytes (code, length, data, repeated).
    public var ednsOptions: [UInt8] = []

    struct Reader {
        let bytes: [UInt8]

        func u16(_ o: Int) -> UInt16 { UInt16(bytes[o]) << 8 | UInt16(bytes[o + 1]) }
        func u32(_ o: Int) -> UInt32 { UInt32(u16(o)) << 16 | UInt32(u16(o + 2)) }

        /// Follows compression pointers; each must point before the label run that
        /// holds it, which bounds the walk, and the hop count is capped besides.
        func name(at offset: inout Int) throws(WireError) -> DNSName {
            var out: [UInt8] = []
            var i = offset
            var runStart = offset
            var end: Int? = nil
            var hops = 0
            while true {
                guard i < bytes.count else { throw .truncated(offset: i) }
                let len = bytes[i]
                if len & Wire.Name.pointerMask == Wire.Name.pointerMask {
                    guard i + 1 < bytes.count else { throw .truncated(offset: i) }
                    let target = Int(u16(i)) & Wire.Name.maxPointerOffset
                    guard target < runStart else { throw .badPointer(offset: i) }
                    hops += 1
                    guard hops <= Wire.Name.maxLength / 2 else { throw .compressionLoop(offset: i) }
                    if end == nil { end = i + 2 }
                    i = target
                    runStart = target
                    continue
                }
                if len & Wire.Name.pointerMask != 0 { throw .badLabelType(offset: i) }
                let n = Int(len)
                guard i + 1 + n <= bytes.count else { throw .truncated(offset: i) }
                guard out.count + 1 + n <= Wire.Name.maxLength else { throw .nameTooLong(offset: i) }
                out.append(len)
                for k in 0..<n { out.append(DNSName.lower(bytes[i + 1 + k])) }
                i += 1 + n
                if n == 0 { break }
            }
            offset = end ?? i
            return DNSName(uncheckedWire: out)
        }

        func records(_ count: Int, at: inout Int) throws(WireError) -> [ResourceRecord] {
            var out: [ResourceRecord] = []
            for _ in 0..<count {
                let owner = try name(at: &at)
                guard at + Wire.Record.fixedSize <= bytes.count else { throw .truncated(offset: at) }
                let type = RRType(u16(at))
                let rclass = u16(at + 2)
                let ttl = u32(at + 4)
                let rdlen = Int(u16(at + 8))
                at += Wire.Record.fixedSize
                let rdEnd = at + rdlen
                guard rdEnd <= bytes.count else { throw .truncated(offset: at - 2) }
                let rdata = try self.rdata(type: type, from: at, to: rdEnd)
                at = rdEnd
                out.append(ResourceRecord(name: owner, type: type, rclass: rclass, ttl: ttl, rdata: rdata))
            }
            return out
        }

        /// Splits RDATA into bytes and names for the types that embed names.
        func rdata(type: RRType, from: Int, to: Int) throws(WireError) -> RData {
            var at = from
            func nameHere() throws(WireError) -> RData.Piece {
                let n = try name(at: &at)
                guard at <= to else { throw .truncated(offset: to) }
                return .name(n)
            }
            switch type {
            case .ns, .cname, .ptr:
                let n = try nameHere()
                guard at == to else { throw .trailingBytes(offset: at) }
                return RData([n])
            case .mx:
                guard to - at >= 3 else { throw .truncated(offset: at) }
                let pref = RData.Piece.bytes(Array(bytes[at..<(at + 2)]))
                at += 2
                let n = try nameHere()
                guard at == to else { throw .trailingBytes(offset: at) }
                return RData([pref, n])
            case .srv:
                guard to - at >= 7 else { throw .truncated(offset: at) }
                let fixed = RData.Piece.bytes(Array(bytes[at..<(at + 6)]))
                at += 6
                let n = try nameHere()
                guard at == to else { throw .trailingBytes(offset: at) }
                return RData([fixed, n])
            case .soa:
                let m = try nameHere()
                let r = try nameHere()
                guard to - at == 20 else { throw .truncated(offset: at) }
                return RData([m, r, .bytes(Array(bytes[at..<to]))])
            default:
                return .bytes(Array(bytes[from..<to]))
            }
        }
    }
}
