import DNSWire

/// An upstream's reply reduced to what Sextant keeps and relays: the records after the
/// question, compressed against a question at offset 12 (any client's question for the
/// same name has the same length, so the same bytes follow every client's question),
/// with the offsets of their TTL fields so a cache hit can count them down in place.
///
/// Built on the forwarder's thread from a decoded `Message` (allocations are fine
/// there); the hit path only copies `body`.
public struct CachedAnswer: Sendable, Equatable {
    public var rcode: RCode
    /// The upstream's AD bit, relayed only to clients that ask for it (DO or AD set).
    public var authenticData: Bool
    public var answerCount: UInt16
    public var authorityCount: UInt16
    /// Answer and authority records, as they follow the question.
    public var body: [UInt8]
    /// Where each record's TTL field is, from the start of `body`.
    public var ttlOffsets: [UInt16]
    /// Seconds the entry is fresh: the smallest TTL kept (capped), or the negative TTL
    /// of RFC 2308 §5, or the brief life of a SERVFAIL.
    public var ttl: UInt32

    public init(rcode: RCode, authenticData: Bool = false, answerCount: UInt16 = 0, authorityCount: UInt16 = 0,
                body: [UInt8] = [], ttlOffsets: [UInt16] = [], ttl: UInt32) {
        self.rcode = rcode
        self.authenticData = authenticData
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.body = body
        self.ttlOffsets = ttlOffsets
        self.ttl = ttl
    }

    /// What a reply is good for.
    public enum Verdict: Sendable, Equatable {
        /// Relay it and keep it for `ttl` seconds.
        case cache(CachedAnswer)
        /// Relay it, do not keep it: a zero TTL, a negative answer without an SOA
        /// (RFC 2308 §5), an rcode that says nothing about the name.
        case relay(CachedAnswer, why: String)
    }

    /// Limits from the configuration that shape what is kept.
    public struct Limits: Sendable {
        public var maxTTL: UInt32
        public var maxNegativeTTL: UInt32
        public var servFailTTL: UInt32

        public init(maxTTL: UInt32 = 3600, maxNegativeTTL: UInt32 = 3600, servFailTTL: UInt32 = 5) {
            self.maxTTL = maxTTL
            self.maxNegativeTTL = maxNegativeTTL
            self.servFailTTL = servFailTTL
        }
    }

    /// Reduces a validated reply to the question `name`/`type`: the answer section keeps
    /// only the records of the question's chain (the name, then each CNAME's target),
    /// of the question's type or CNAME (and their RRSIGs when `dnssec`); the authority
    /// section keeps, for a negative answer, the zone's SOA (and NSEC, NSEC3 and RRSIG
    /// records under it when `dnssec`); the additional section is dropped. Records the
    /// upstream added beside the answer are never kept, so never cached.
    public static func reduce(_ reply: Message, name: DNSName, type: RRType, dnssec: Bool, limits: Limits) -> Verdict {
        let rcode = reply.rcode
        let ad = reply.flags & Wire.Flag.ad != 0
        switch rcode {
        case .servFail:
            return .cache(CachedAnswer(rcode: .servFail, ttl: limits.servFailTTL))
        case .noError, .nxDomain:
            break
        default:
            return .relay(CachedAnswer(rcode: rcode, ttl: 0), why: "rcode \(rcode.mnemonic)")
        }

        // The chain: the question's name, then every CNAME target reached from it.
        var chain: [DNSName] = [name]
        var kept: [ResourceRecord] = []
        var used = [Bool](repeating: false, count: reply.answers.count)
        var grew = true
        var rounds = 0
        while grew && rounds < 16 {
            grew = false
            rounds += 1
            for (i, rr) in reply.answers.enumerated() where !used[i] && rr.rclass == RRClass.in.rawValue && chain.contains(rr.name) {
                let wanted = type == .any || rr.type == type || rr.type == .cname || (dnssec && rr.type == .rrsig)
                guard wanted else { continue }
                used[i] = true
                kept.append(rr)
                if rr.type == .cname, type != .cname, case .name(let target)? = rr.rdata.pieces.first, !chain.contains(target) {
                    chain.append(target)
                    grew = true
                }
            }
        }
        let last = chain[chain.count - 1]
        let answered = kept.contains { ($0.type == type || type == .any) && $0.name == last } || (type != .cname && kept.contains { $0.type == .cname && $0.name == last })
        var authority: [ResourceRecord] = []
        var ttl = UInt32.max
        var negative = false
        if rcode == .nxDomain || !answered {
            negative = true
            // RFC 2308 §5: the SOA of the zone the last name is in, TTL min(SOA TTL, MINIMUM).
            guard let soa = reply.authority.first(where: { $0.type == .soa && $0.rclass == RRClass.in.rawValue && last.isSubdomain(of: $0.name) }),
                  case .bytes(let fixed)? = soa.rdata.pieces.last, fixed.count == 20
            else {
                let partial = build(name: name, rcode: rcode, ad: ad, answers: kept, authority: [], ttlCap: limits.maxTTL)
                return .relay(partial, why: "a negative answer without an SOA")
            }
            let minimum = UInt32(fixed[16]) << 24 | UInt32(fixed[17]) << 16 | UInt32(fixed[18]) << 8 | UInt32(fixed[19])
            var soaRecord = soa
            soaRecord.ttl = min(soa.ttl, minimum, limits.maxNegativeTTL)
            authority.append(soaRecord)
            if dnssec {
                for rr in reply.authority where rr.rclass == RRClass.in.rawValue && rr.name.isSubdomain(of: soa.name)
                    && (rr.type == .nsec || rr.type == .nsec3 || rr.type == .rrsig) {
                    authority.append(rr)
                }
            }
            ttl = soaRecord.ttl
        }
        for rr in kept { ttl = min(ttl, rr.ttl) }
        ttl = min(ttl, negative ? min(limits.maxNegativeTTL, limits.maxTTL) : limits.maxTTL)
        let answer = build(name: name, rcode: rcode, ad: ad, answers: kept, authority: authority, ttlCap: limits.maxTTL)
        var entry = answer
        entry.ttl = ttl
        if ttl == 0 { return .relay(entry, why: "a zero TTL") }
        return .cache(entry)
    }

    /// Writes the kept records after a question for `name` (at offset 12, where every
    /// client's question starts), compressed against it and against each other; each
    /// record's TTL capped at `ttlCap`.
    static func build(name: DNSName, rcode: RCode, ad: Bool, answers: [ResourceRecord], authority: [ResourceRecord], ttlCap: UInt32) -> CachedAnswer {
        var b = MessageBuilder(base: Wire.Header.size + name.wire.count + Wire.Question.fixedSize)
        b.register(name, at: Wire.Header.size)
        var offsets: [UInt16] = []
        for var rr in answers + authority {
            rr.ttl = min(rr.ttl, ttlCap)
            let start = b.bytes.count
            b.append(rr)
            offsets.append(UInt16(start + ownerLength(b.bytes, at: start) + Wire.Record.ttlOffset))
        }
        return CachedAnswer(rcode: rcode, authenticData: ad, answerCount: UInt16(answers.count), authorityCount: UInt16(authority.count),
                            body: b.bytes, ttlOffsets: offsets, ttl: 0)
    }

    /// Length of a name written by `MessageBuilder` at `start`: labels up to the root or
    /// a pointer.
    static func ownerLength(_ bytes: [UInt8], at start: Int) -> Int {
        var i = start
        while true {
            let l = bytes[i]
            if l & Wire.Name.pointerMask == Wire.Name.pointerMask { return i + 2 - start }
            i += 1 + Int(l)
            if l == 0 { return i - start }
        }
    }
}

extension RRType {
    static let rrsig = RRType(46)
    static let nsec = RRType(47)
    static let nsec3 = RRType(50)
}
