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
        // Walk the labels (a handful per name) to validate the structure and find the end.
        // Offsets stay below 64 KiB + 256, so the arithmetic cannot overflow; the total
        // length is checked once after the walk.
        let base = msg.baseAddress!
        let count = msg.count
        var i = Wire.Header.size
        var labels = 0
        while true {
            guard i < count else { throw tooLongOr(.truncated(offset: i), msg) }
            let len = Int(base.load(fromByteOffset: i, as: UInt8.self))
            if len > Wire.Name.maxLabelLength {
                if len >= Int(Wire.Name.pointerMask) { throw tooLongOr(.compressedQuestion(offset: i), msg) }
                throw tooLongOr(.badLabelType(offset: i), msg)
            }
            i &+= 1 &+ len
            if len == 0 { break }
            labels &+= 1
        }
        guard i &- Wire.Header.size <= Wire.Name.maxLength else { throw tooLongOr(.truncated(offset: i), msg) }
        guard i <= count else { throw tooLongOr(.truncated(offset: i), msg) }
        guard i + Wire.Question.fixedSize <= msg.count else { throw .truncated(offset: i) }
        let length = i - Wire.Header.size
        let hash = lowercaseAndHash(base + Wire.Header.size, count: length, into: lowered.baseAddress!, available: count - Wire.Header.size)
        return Question(
            nameOffset: Wire.Header.size, nameLength: length, labelCount: labels,
            type: RRType(msg.u16(at: i)), rclass: msg.u16(at: i + 2),
            end: i + Wire.Question.fixedSize, hash: hash)
    }

    /// The error of a malformed question name: `nameTooLong` at the label that crosses
    /// 255 bytes if one does before `otherwise`'s offset (the walk checks the length only
    /// at its end), else `otherwise`. Only on the error path.
    static func tooLongOr(_ otherwise: WireError, _ msg: UnsafeRawBufferPointer) -> WireError {
        var i = Wire.Header.size
        while i < msg.count {
            let n = Int(msg[i])
            if n > Wire.Name.maxLabelLength { break }
            if i + 1 + n - Wire.Header.size > Wire.Name.maxLength { return .nameTooLong(offset: i) }
            if n == 0 { break }
            guard i + 1 + n <= msg.count else { break }
            i += 1 + n
        }
        return otherwise
    }

    /// Lower-cases a wire name into `out` and returns its `NameHash`, in one pass of
    /// eight-byte words (the hash of the lower-cased bytes, as `NameHash.hash` computes
    /// it over them). Whole words are read only while `available` bytes allow.
    @inline(__always)
    static func lowercaseAndHash(_ src: UnsafeRawPointer, count: Int, into out: UnsafeMutableRawPointer, available: Int) -> UInt64 {
        var h = NameHash.start(count)
        var i = 0
        while i &+ 8 <= count {
            let w = lowerWord(src.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            out.storeBytes(of: w, toByteOffset: i, as: UInt64.self)
            h = NameHash.mix(h, w)
            i &+= 8
        }
        if i < count {
            let rest = count &- i
            var w: UInt64
            if i &+ 8 <= available {
                w = lowerWord(src.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                out.storeBytes(of: w, toByteOffset: i, as: UInt64.self)
            } else {
                w = 0
                var k = 0
                while k < rest {
                    let b = DNSName.lower(src.load(fromByteOffset: i &+ k, as: UInt8.self))
                    out.storeBytes(of: b, toByteOffset: i &+ k, as: UInt8.self)
                    w |= UInt64(b) &<< UInt64(k &* 8)
                    k &+= 1
                }
            }
            // Little-endian: the name's bytes are the word's low bytes.
            h = NameHash.mix(h, w & (UInt64.max &>> UInt64((8 &- rest) &* 8)))
        }
        return NameHash.finish(h)
    }

    /// ASCII upper case to lower case in each byte of `w`; other bytes unchanged.
    @inline(__always)
    static func lowerWord(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let low7 = w & ~high
        let atLeastA = low7 &+ ones &* UInt64(0x80 - 0x41)  // high bit set where byte >= 'A'
        let aboveZ = low7 &+ ones &* UInt64(0x80 - 0x5B)    // high bit set where byte > 'Z'
        let upper = atLeastA & ~aboveZ & ~w & high
        return w | (upper >> 2)
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
        // The common shapes first: no records, or just an OPT with no options.
        let counts = msg.u16(at: Wire.Header.ancount) | msg.u16(at: Wire.Header.nscount)
        if counts == 0 {
            let ar = msg.u16(at: Wire.Header.arcount)
            if ar == 0 { return nil }
            let o = question.end
            if ar == 1 && o + Wire.EDNS.emptyOPTSize == msg.count && msg[o] == 0
                && msg.u16(at: o + 1 + Wire.Record.typeOffset) == RRType.opt.rawValue
                && msg.u16(at: o + 1 + Wire.Record.rdlengthOffset) == 0 {
                let ttl = msg.u32(at: o + 1 + Wire.Record.ttlOffset)
                return EDNSQuery(
                    udpSize: msg.u16(at: o + 1 + Wire.Record.classOffset),
                    extendedRCode: UInt8(truncatingIfNeeded: ttl >> 24),
                    version: UInt8(truncatingIfNeeded: ttl >> 16),
                    flags: UInt16(truncatingIfNeeded: ttl),
                    optionsOffset: msg.count, optionsLength: 0)
            }
        }
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
