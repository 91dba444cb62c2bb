import AnswerTable
import DNSWire
import Forwarder

/// How a reply travels, which decides its size limit.
public enum Transport: Sendable {
    case udp
    case tcp
}

/// Turns one query into one reply: the protocol core of the server, with no I/O.
///
/// It reads the query in place, looks the name up in the answer table and copies the
/// precompiled sections into `out`. It allocates nothing and takes no lock, so the
/// same function serves the UDP batch loop, TCP connections and in-process tests.
public enum Responder {
    /// Scratch space a caller provides: the lower-cased question name (the parser
    /// lower-cases eight bytes at a time and may write up to 7 past it), then room for
    /// an answer the table writes on demand (`AnswerTable.answerSpaceSize`).
    public static let scratchSize = nameSpace + AnswerTable.answerSpaceSize

    /// What `respond` returns for a name outside the zones that the forwarder's cache
    /// does not hold (with `forwarding` on): the caller hands the query to the forwarder.
    public static let forwardMarker = -1

    /// Names outside the zones go to the forwarder (`--forward`): its cache, read here,
    /// and the time the cache ages its entries by (once per batch).
    public struct Forwarding {
        public var cache: AnswerCache?
        public var nowMs: UInt64

        public init(cache: AnswerCache?, nowMs: UInt64) {
            self.cache = cache
            self.nowMs = nowMs
        }
    }
    static let nameSpace = Wire.Name.maxLength + 8

    /// The part of a caller's scratch where the table writes an answer on demand (after
    /// the question name's room): the `answerSpace` of `respond(to:question:...)`.
    @inline(__always)
    static func answerSpace(in scratch: UnsafeMutableRawBufferPointer) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: scratch[nameSpace...])
    }

    /// Writes the reply to `query` into `out` and returns its length; 0 means no reply
    /// (fewer than 12 bytes, or a message with QR set: never answer a response).
    ///
    /// - Parameters:
    ///   - scratch: at least `scratchSize` bytes, owned by the caller's worker.
    ///   - out: at least 512 bytes; a reply that would not fit is truncated (TC).
    @inline(__always)
    public static func respond(
        to query: UnsafeRawBufferPointer, table: AnswerTable, transport: Transport,
        scratch: UnsafeMutableRawBufferPointer, out: UnsafeMutableRawBufferPointer, forwarding: Forwarding? = nil
    ) -> Int {
        guard query.count >= Wire.Header.size else { return 0 }
        let flags = query.u16(at: Wire.Header.flags)
        if flags & Wire.Flag.qr != 0 { return 0 }
        let opcode = (flags & Wire.Flag.opcodeMask) >> Wire.Flag.opcodeShift

        let question: Question
        do {
            question = try QueryParser.question(in: query, lowercasedInto: scratch)
        } catch {
            let rcode: RCode = opcode == UInt16(Opcode.query.rawValue) ? .formErr : .notImp
            return writeBare(query: query, rcode: rcode, out: out)
        }
        return respond(to: query, question: question, name: UnsafeRawBufferPointer(scratch), table: table, transport: transport,
                       answerSpace: answerSpace(in: scratch), out: out, forwarding: forwarding)
    }

    /// `respond(to:table:transport:scratch:out:)` for a query whose question the caller
    /// has already read with `QueryParser.question` (a UDP batch reads every question
    /// once, to warm the lookups' memory, and answers from that).
    ///
    /// - Parameters:
    ///   - name: the question's lower-cased name, as the parser wrote it. It may lie in
    ///     `out` where the reply's question goes: it is not read once the reply is being written.
    ///   - answerSpace: at least `AnswerTable.answerSpaceSize` bytes, not overlapping `out`.
    @inline(__always)
    public static func respond(
        to query: UnsafeRawBufferPointer, question: Question, name: UnsafeRawBufferPointer, table: AnswerTable,
        transport: Transport, answerSpace: UnsafeMutableRawBufferPointer, out: UnsafeMutableRawBufferPointer,
        forwarding: Forwarding? = nil
    ) -> Int {
        let flags = query.u16(at: Wire.Header.flags)
        if flags & Wire.Flag.qr != 0 { return 0 }
        let opcode = (flags & Wire.Flag.opcodeMask) >> Wire.Flag.opcodeShift
        let edns: EDNSQuery?
        do {
            edns = try QueryParser.edns(in: query, after: question)
        } catch {
            return writeReply(query: query, question: question, edns: nil, rcode: .formErr, aa: false, out: out)
        }
        if let e = edns, e.version > 0 {
            return writeReply(query: query, question: question, edns: e, rcode: .badVers, aa: false, out: out)
        }
        if opcode != UInt16(Opcode.query.rawValue) {
            return writeReply(query: query, question: question, edns: edns, rcode: .notImp, aa: false, out: out)
        }
        if question.type == .opt {
            return writeReply(query: query, question: question, edns: edns, rcode: .formErr, aa: false, out: out)
        }
        if question.rclass != RRClass.in.rawValue || question.type == .axfr || question.type == .ixfr {
            return writeReply(query: query, question: question, edns: edns, rcode: .refused, aa: false, out: out)
        }

        let limit = sizeLimit(transport: transport, edns: edns, out: out)
        let found = table.lookup(name: name, length: question.nameLength, hash: question.hash, type: question.type,
                                 answerSpace: answerSpace)
        if case .refused = found {} else if !table.isReady {
            return writeNotReady(query: query, question: question, edns: edns, out: out)
        }
        let n: Int
        switch found {
        case .answer(let blob):
            n = writeAnswer(query: query, question: question, edns: edns, blob: blob, limit: limit, out: out)
        case .noData(let zone):
            n = writeNegative(query: query, question: question, edns: edns, rcode: .noError, table: table, zone: zone, limit: limit, out: out)
        case .nxDomain(let zone):
            n = writeNegative(query: query, question: question, edns: edns, rcode: .nxDomain, table: table, zone: zone, limit: limit, out: out)
        case .refused:
            if let f = forwarding {
                if let cache = f.cache {
                    let n = cache.answer(query: query, question: question, name: name, edns: edns, limit: limit, nowMs: f.nowMs, out: out)
                    if n > 0 { return n }
                }
                return forwardMarker
            }
            return writeReply(query: query, question: question, edns: edns, rcode: .refused, aa: false, out: out)
        }
        if table.isStale, edns != nil { return appendEDE(Wire.EDNS.edeStaleAnswer, length: n, limit: limit, out: out) }
        return n
    }

    static func appendEDE(_ code: UInt16, length o: Int, limit: Int, out: UnsafeMutableRawBufferPointer) -> Int {
        ReplyWriter.appendEDE(code, length: o, limit: limit, out: out)
    }

    /// The reply size limit: 512 without EDNS, else the client's buffer clamped to
    /// [512, 1232] (RFC 6891 §6.2.5, DNS Flag Day 2020); 65,535 over TCP.
    @inline(__always)
    static func sizeLimit(transport: Transport, edns: EDNSQuery?, out: UnsafeMutableRawBufferPointer) -> Int {
        let wanted = transport == .tcp ? Wire.maxTCPMessageSize : ReplyWriter.udpLimit(edns: edns)
        return min(wanted, out.count)
    }

    /// Header flags of a reply: QR, the query's opcode, RD and CD copied (RFC 1035,
    /// RFC 6840 §5.9), AA when authoritative, the low RCODE bits.
    @inline(__always)
    static func replyFlags(query: UInt16, rcode: RCode, aa: Bool, tc: Bool) -> UInt16 {
        var f = Wire.Flag.qr | (query & (Wire.Flag.opcodeMask | Wire.Flag.rd | Wire.Flag.cd)) | rcode.headerBits
        if aa { f |= Wire.Flag.aa }
        if tc { f |= Wire.Flag.tc }
        return f
    }

    @inline(__always)
    static func writeHeader(query: UnsafeRawBufferPointer, flags: UInt16, qd: UInt16, an: UInt16, ns: UInt16, ar: UInt16, out: UnsafeMutableRawBufferPointer) {
        ReplyWriter.header(query: query, flags: flags, qd: qd, an: an, ns: ns, ar: ar, out: out)
    }

    /// A header-only reply, for queries whose question cannot be read.
    @inline(__always)
    static func writeBare(query: UnsafeRawBufferPointer, rcode: RCode, out: UnsafeMutableRawBufferPointer) -> Int {
        let flags = query.u16(at: Wire.Header.flags)
        writeHeader(query: query, flags: replyFlags(query: flags, rcode: rcode, aa: false, tc: false), qd: 0, an: 0, ns: 0, ar: 0, out: out)
        return Wire.Header.size
    }

    @inline(__always)
    static func copyQuestion(query: UnsafeRawBufferPointer, question: Question, out: UnsafeMutableRawBufferPointer) -> Int {
        ReplyWriter.question(query: query, question: question, out: out)
    }

    @inline(__always)
    static func writeOPT(edns: EDNSQuery, rcode: RCode, at o: Int, out: UnsafeMutableRawBufferPointer) -> Int {
        ReplyWriter.opt(edns: edns, rcode: rcode, at: o, out: out)
    }

    /// A reply with the question, no records, and the OPT when the query had one.
    @inline(__always)
    static func writeReply(query: UnsafeRawBufferPointer, question: Question, edns: EDNSQuery?, rcode: RCode, aa: Bool, out: UnsafeMutableRawBufferPointer) -> Int {
        let flags = query.u16(at: Wire.Header.flags)
        writeHeader(query: query, flags: replyFlags(query: flags, rcode: rcode, aa: aa, tc: false), qd: 1, an: 0, ns: 0, ar: edns == nil ? 0 : 1, out: out)
        var o = copyQuestion(query: query, question: question, out: out)
        if let e = edns { o = writeOPT(edns: e, rcode: rcode, at: o, out: out) }
        return o
    }

    /// SERVFAIL before the first complete data (never an NXDOMAIN a resolver would cache),
    /// with Extended DNS Error 14 "Not Ready" when the query has EDNS (RFC 8914 §4.15).
    static func writeNotReady(query: UnsafeRawBufferPointer, question: Question, edns: EDNSQuery?, out: UnsafeMutableRawBufferPointer) -> Int {
        let o = writeReply(query: query, question: question, edns: edns, rcode: .servFail, aa: false, out: out)
        guard edns != nil else { return o }
        return appendEDE(Wire.EDNS.edeNotReady, length: o, limit: out.count, out: out)
    }

    /// A positive answer from a precompiled blob, or TC when it does not fit `limit`.
    @inline(__always)
    static func writeAnswer(query: UnsafeRawBufferPointer, question: Question, edns: EDNSQuery?, blob: UnsafeRawBufferPointer, limit: Int, out: UnsafeMutableRawBufferPointer) -> Int {
        let flags = query.u16(at: Wire.Header.flags)
        let sections = blob.count - 6
        let optSize = edns == nil ? 0 : Wire.EDNS.emptyOPTSize
        let ar = edns == nil ? 0 : 1
        if question.end + sections + optSize > limit {
            writeHeader(query: query, flags: replyFlags(query: flags, rcode: .noError, aa: true, tc: true), qd: 1, an: 0, ns: 0, ar: UInt16(ar), out: out)
            var o = copyQuestion(query: query, question: question, out: out)
            if let e = edns { o = writeOPT(edns: e, rcode: .noError, at: o, out: out) }
            return o
        }
        writeHeader(query: query, flags: replyFlags(query: flags, rcode: .noError, aa: true, tc: false),
                    qd: 1, an: blob.u16(at: 0), ns: blob.u16(at: 2), ar: blob.u16(at: 4) + UInt16(ar), out: out)
        var o = copyQuestion(query: query, question: question, out: out)
        (out.baseAddress! + o).copyMemory(from: blob.baseAddress! + 6, byteCount: sections)
        o += sections
        if let e = edns { o = writeOPT(edns: e, rcode: .noError, at: o, out: out) }
        return o
    }

    /// NXDOMAIN or NODATA: the zone's SOA in the authority section (RFC 2308 §2), its
    /// owner a pointer to where the zone's apex starts inside the echoed question.
    @inline(__always)
    static func writeNegative(query: UnsafeRawBufferPointer, question: Question, edns: EDNSQuery?, rcode: RCode, table: AnswerTable, zone: Int, limit: Int, out: UnsafeMutableRawBufferPointer) -> Int {
        let flags = query.u16(at: Wire.Header.flags)
        let soa = table.negativeSOA(zone: zone)
        let optSize = edns == nil ? 0 : Wire.EDNS.emptyOPTSize
        let fits = question.end + 2 + soa.count + optSize <= limit
        writeHeader(query: query, flags: replyFlags(query: flags, rcode: rcode, aa: true, tc: !fits),
                    qd: 1, an: 0, ns: fits ? 1 : 0, ar: edns == nil ? 0 : 1, out: out)
        var o = copyQuestion(query: query, question: question, out: out)
        if fits {
            let apexAt = Wire.Header.size + question.nameLength - table.apexLength(zone: zone)
            out.put16(0xC000 | UInt16(apexAt), at: o)
            o += 2
            (out.baseAddress! + o).copyMemory(from: soa.baseAddress!, byteCount: soa.count)
            o += soa.count
        }
        if let e = edns { o = writeOPT(edns: e, rcode: rcode, at: o, out: out) }
        return o
    }
}
