import DNSWire

/// Finishes a client's reply around records already placed after its question: the
/// header (the client's ID, RD and CD; RA; AD only for a client that asked for it),
/// the question as the client sent it (its case, RFC 1034 §4.1 and the 0x20 habit),
/// and an OPT when the client sent one. No I/O, no allocation: the cache hit path and
/// the forwarder's thread both end here.
public enum CachedReply {
    /// The TTL a stale answer carries (RFC 8767 §4).
    public static let staleTTL: UInt32 = 30

    /// Room past the reply a caller must leave in `out` for the hit path (word-wise
    /// copies and the TTL offsets parked there).
    public static let slack = 8

    /// Writes everything but the records, which lie at `out[question.end...]` already
    /// (`bodyLength` bytes, TTLs counted down). A reply over `limit` goes out with TC,
    /// its question and OPT only (RFC 2181 §9): the client asks again over TCP.
    ///
    /// - Parameter stale: adds EDE 3 "Stale Answer" (RFC 8914 §4.4) when the client has EDNS.
    @inline(__always)
    public static func finish(query: UnsafeRawBufferPointer, question: Question, edns: EDNSQuery?, rcode: RCode, authenticData: Bool,
                              answerCount: UInt16, authorityCount: UInt16, bodyLength: Int, limit: Int, stale: Bool,
                              out: UnsafeMutableRawBufferPointer) -> Int {
        let queryFlags = query.u16(at: Wire.Header.flags)
        var flags = Wire.Flag.qr | Wire.Flag.ra | (queryFlags & (Wire.Flag.opcodeMask | Wire.Flag.rd | Wire.Flag.cd)) | rcode.headerBits
        // RFC 6840 §5.8: AD only to a client that set DO or AD.
        if authenticData, queryFlags & Wire.Flag.ad != 0 || edns?.dnssecOK == true { flags |= Wire.Flag.ad }
        let optSize = edns == nil ? 0 : Wire.EDNS.emptyOPTSize
        let ar: UInt16 = edns == nil ? 0 : 1
        var o: Int
        if question.end + bodyLength + optSize > limit {
            ReplyWriter.header(query: query, flags: flags | Wire.Flag.tc, qd: 1, an: 0, ns: 0, ar: ar, out: out)
            o = ReplyWriter.question(query: query, question: question, out: out)
        } else {
            ReplyWriter.header(query: query, flags: flags, qd: 1, an: answerCount, ns: authorityCount, ar: ar, out: out)
            o = ReplyWriter.question(query: query, question: question, out: out) + bodyLength
        }
        if let e = edns {
            o = ReplyWriter.opt(edns: e, rcode: rcode, at: o, out: out)
            if stale { o = ReplyWriter.appendEDE(Wire.EDNS.edeStaleAnswer, length: o, limit: limit, out: out) }
        }
        return o
    }

    /// A query's OPT: `.some(nil)` without one, nil when it is malformed (`try?` would
    /// make the two the same).
    @inline(__always)
    public static func edns(in query: UnsafeRawBufferPointer, after question: Question) -> EDNSQuery?? {
        do {
            return .some(try QueryParser.edns(in: query, after: question))
        } catch {
            return nil
        }
    }

    /// Counts a TTL field down by `elapsed` seconds, or sets it to `staleTTL`.
    @inline(__always)
    static func age(_ out: UnsafeMutableRawPointer, at offset: Int, elapsed: UInt32, stale: Bool) {
        let ttl = UInt32(bigEndian: out.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        let now = stale ? staleTTL : (ttl > elapsed ? ttl &- elapsed : 0)
        out.storeBytes(of: now.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// The reply to one client from an answer the forwarder holds (a fresh upstream
    /// reply, or a stale entry), its TTLs aged by `elapsed`.
    public static func write(_ answer: CachedAnswer, query: UnsafeRawBufferPointer, question: Question, edns: EDNSQuery?, limit: Int,
                             elapsed: UInt32 = 0, stale: Bool = false, out: UnsafeMutableRawBufferPointer) -> Int {
        let body = answer.body.count
        guard question.end + body <= out.count else {
            return finish(query: query, question: question, edns: edns, rcode: answer.rcode, authenticData: answer.authenticData,
                          answerCount: 0, authorityCount: 0, bodyLength: Int.max / 2, limit: limit, stale: stale, out: out)
        }
        let base = out.baseAddress.unsafelyUnwrapped + question.end
        if body > 0 { answer.body.withUnsafeBytes { base.copyMemory(from: $0.baseAddress.unsafelyUnwrapped, byteCount: body) } }
        if elapsed > 0 || stale {
            for t in answer.ttlOffsets { age(base, at: Int(t), elapsed: elapsed, stale: stale) }
        }
        return finish(query: query, question: question, edns: edns, rcode: answer.rcode, authenticData: answer.authenticData,
                      answerCount: answer.answerCount, authorityCount: answer.authorityCount, bodyLength: body, limit: limit,
                      stale: stale, out: out)
    }
}
