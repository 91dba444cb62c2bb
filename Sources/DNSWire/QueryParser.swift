/// The question of a query, read in place.
///
/// All fields are trivial values: reading a query allocates nothing. The name itself is
/// left where it is (`nameOffset..<nameOffset+nameLength` of the message), and its
/// lower-cased copy is written to a caller-provided buffer.
public struct Question: Sendable, Equatable {
    public var nameOffset: Int
    /// Wire length of the name, root label included.
    public var nameLength: Int
    public var labelCount: Int
    public var type: RRType
    public var rclass: UInt16
    /// Offset just past QCLASS.
    public var end: Int
    /// `NameHash` of the lower-cased name.
    public var hash: UInt64
}

/// The EDNS(0) OPT record of a query (RFC 6891 §6.1).
public struct EDNSQuery: Sendable, Equatable {
    public var udpSize: UInt16
    public var extendedRCode: UInt8
    public var version: UInt8
    /// The OPT TTL's low 16 bits: DO and the reserved Z bits.
    public var flags: UInt16
    public var optionsOffset: Int
    public var optionsLength: Int

    public var dnssecOK: Bool { flags & Wire.EDNS.doBit != 0 }
}

/// Reads queries from untrusted bytes without allocating.
///
/// Each step throws a `WireError` with the offset of the first bad byte; the caller
/// decides what that means for the reply (FORMERR, or silence where no header can be read).
public enum QueryParser {
    /// Reads the one question of a query.
    ///
    /// The name must be literal: a compression pointer in the only question of a query
    /// could only point into the header, so it is rejected (`compressedQuestion`), which
    /// also lets a reply echo the question byte for byte.
    ///
    /// - Parameter lowered: at least 255 bytes; receives the lower-cased wire name.
    @inline(__always)
    public static func question(
        in msg: UnsafeRawBufferPointer,
        lowercasedInto lowered: UnsafeMutableRawBufferPointer
    ) throws(WireError) -> Question {
        guard msg.count >= Wire.Header.size else { throw .truncated(offset: msg.count) }
        let qd = Int(msg.u16(at: Wire.Header.qdcount))
        guard qd == 1 else { throw .questionCount(offset: Wire.Header.qdcount, count: qd) }
        var i = Wire.Header.size
        var h = NameHash.seed
        var labels = 0
        var out = 0
        while true {
            guard i < msg.count else { throw .truncated(offset: i) }
            let len = msg[i]
            if len & Wire.Name.pointerMask == Wire.Name.pointerMask { throw .compressedQuestion(offset: i) }
            if len & Wire.Name.pointerMask != 0 { throw .badLabelType(offset: i) }
            let n = Int(len)
            guard out + 1 + n <= Wire.Name.maxLength else { throw .nameTooLong(offset: i) }
            guard i + 1 + n <= msg.count else { throw .truncated(offset: i) }
            lowered[out] = len
            h = NameHash.step(h, len)
            out += 1
            i += 1
            if n == 0 { break }
            labels += 1
            for k in 0..<n {
                let b = DNSName.lower(msg[i + k])
                lowered[out + k] = b
                h = NameHash.step(h, b)
            }
            out += n
            i += n
        }
        guard i + Wire.Question.fixedSize <= msg.count else { throw .truncated(offset: i) }
        return Question(
            nameOffset: Wire.Header.size, nameLength: out, labelCount: labels,
            type: RRType(msg.u16(at: i)), rclass: msg.u16(at: i + 2),
            end: i + Wire.Question.fixedSize, hash: h)
    }

    /// Skips a possibly compressed name without following pointers.
    /// Pointers must point strictly backwards; labels must be of type 00.
    @inline(__always)
    static func skipName(in msg: UnsafeRawBufferPointer, at start: Int) throws(WireError) -> Int {
        var i = start
        var total = 0
        while true {
            guard i < msg.count else { throw .truncated(offset: i) }
            let len = msg[i]
            if len & Wire.Name.pointerMask == Wire.Name.pointerMask {
                guard i + 2 <= msg.count else { throw .truncated(offset: i) }
                let target = Int(msg.u16(at: i)) & Wire.Name.maxPointerOffset
                guard target < start else { throw .badPointer(offset: i) }
                return i + 2
            }
            if len & Wire.Name.pointerMask != 0 { throw .badLabelType(offset: i) }
            total += 1 + Int(len)
            guard total <= Wire.Name.maxLength else { throw .nameTooLong(offset: i) }
            i += 1 + Int(len)
            if len == 0 { return i }
        }
    }

    /// Walks the answer, authority and additional sections after the question and returns
    /// the OPT record, if any. Two OPT records, an OPT not owned by the root, or options
    /// that overrun the RDATA are errors (RFC 6891 §6.1.1). Bytes after the last counted
    /// record are ignored, as most servers do.
    @inline(__always)
    public static func edns(in msg: UnsafeRawBufferPointer, after question: Question) throws(WireError) -> EDNSQuery? {
        let an = Int(msg.u16(at: Wire.Header.ancount))
        let ns = Int(msg.u16(at: Wire.Header.nscount))
        let ar = Int(msg.u16(at: Wire.Header.arcount))
        var i = question.end
        var found: EDNSQuery? = nil
        let total = an + ns + ar
        var index = 0
        while index < total {
            let ownerStart = i
            i = try skipName(in: msg, at: i)
            guard i + Wire.Record.fixedSize <= msg.count else { throw .truncated(offset: i) }
            let type = msg.u16(at: i + Wire.Record.typeOffset)
            let rdlen = Int(msg.u16(at: i + Wire.Record.rdlengthOffset))
            let rdata = i + Wire.Record.fixedSize
            guard rdata + rdlen <= msg.count else { throw .truncated(offset: i + Wire.Record.rdlengthOffset) }
            if type == RRType.opt.rawValue && index >= an + ns {
                if found != nil { throw .duplicateOPT(offset: ownerStart) }
                guard i == ownerStart + 1, msg[ownerStart] == 0 else { throw .badOPT(offset: ownerStart) }
                var o = rdata
                while o < rdata + rdlen {
                    guard o + Wire.EDNS.optionHeaderSize <= rdata + rdlen else { throw .badOPT(offset: o) }
                    let olen = Int(msg.u16(at: o + 2))
                    o += Wire.EDNS.optionHeaderSize + olen
                    guard o <= rdata + rdlen else { throw .badOPT(offset: o - olen) }
                }
                let ttl = msg.u32(at: i + Wire.Record.ttlOffset)
                found = EDNSQuery(
                    udpSize: msg.u16(at: i + Wire.Record.classOffset),
                    extendedRCode: UInt8(truncatingIfNeeded: ttl >> 24),
                    version: UInt8(truncatingIfNeeded: ttl >> 16),
                    flags: UInt16(truncatingIfNeeded: ttl),
                    optionsOffset: rdata, optionsLength: rdlen)
            }
            i = rdata + rdlen
            index += 1
        }
        return found
    }
}
