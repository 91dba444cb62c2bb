import DNSWire
import Forwarder
import FuzzSupport

/// An upstream's reply, as the forwarder takes it: decoded, reduced to what is kept
/// (`CachedAnswer.reduce`), written into the cache, and answered to a client from the
/// cache (the workers' hit path) and directly (the forwarder's). Every client reply must
/// parse, keep the client's ID and question (its case), and stay within the client's
/// limit; the cache must never hand out records it was not given.
nonisolated(unsafe) let cache = AnswerCache(entries: 64, maxStale: 60)
nonisolated(unsafe) let lowered = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 16)
nonisolated(unsafe) let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535 + 2048, alignment: 16)

func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    guard let reply = try? Message(decoding: Array(bytes)), let q = reply.questions.first else { return }
    for dnssec in [false, true] {
        let verdict = CachedAnswer.reduce(reply, name: q.name, type: q.type, dnssec: dnssec, limits: .init(maxTTL: 300))
        let answer: CachedAnswer
        switch verdict {
        case .cache(let a):
            answer = a
            cache.insert(name: q.name.wire, type: q.type, bits: dnssec ? 1 : 0, nameHash: NameHash.hash(q.name.wire), answer: a, nowMs: 1_000)
        case .relay(let a, _):
            answer = a
        }
        guard answer.ttl <= 300 else { fatalError("a TTL over the cap: \(answer.ttl)") }
        // A client asking the same question in upper case, with and without EDNS.
        for edns in [false, true] {
            var b = MessageBuilder()
            b.appendUInt16(0xA5A5)
            b.appendUInt16(Wire.Flag.rd)
            b.appendUInt16(1)
            b.appendUInt16(0)
            b.appendUInt16(0)
            b.appendUInt16(edns ? 1 : 0)
            b.append(bytes: q.name.wire.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 })
            b.appendUInt16(q.type.rawValue)
            b.appendUInt16(1)
            if edns { b.appendOPT(udpSize: 1232, extendedRCode: 0, version: 0, dnssecOK: dnssec) }
            let query = b.bytes
            query.withUnsafeBytes { qb in
                guard let question = try? QueryParser.question(in: qb, lowercasedInto: lowered),
                      let e = CachedReply.edns(in: qb, after: question)
                else { fatalError("the client's query does not parse") }
                guard (e == nil) != edns else { fatalError("EDNS read wrong") }
                let limit = edns ? 1232 : 512
                let direct = CachedReply.write(answer, query: qb, question: question, edns: e, limit: limit, out: out)
                check(direct, query: query, question: question, limit: limit, answer: answer)
                for nowMs: UInt64 in [1_000, 200_000, 400_000] {
                    let hit = cache.answer(query: qb, question: question, name: UnsafeRawBufferPointer(lowered), edns: e, limit: limit,
                                           nowMs: nowMs, allowStale: nowMs == 400_000, out: out)
                    if hit > 0 { check(hit, query: query, question: question, limit: limit, answer: nil) }
                }
            }
        }
    }
}

func check(_ n: Int, query: [UInt8], question: Question, limit: Int, answer: CachedAnswer?) {
    guard n >= 12, n <= limit else { fatalError("a reply of \(n) bytes for a limit of \(limit)") }
    let bytes = Array(UnsafeRawBufferPointer(rebasing: out[0..<n]))
    guard let m = try? Message(decoding: bytes) else { fatalError("a client reply that does not parse: \(bytes)") }
    guard m.id == 0xA5A5, bytes[12..<question.end] == query[12..<question.end] else { fatalError("ID or question not the client's") }
    if let a = answer, !m.truncated {
        guard m.answers.count == Int(a.answerCount), m.authority.count == Int(a.authorityCount) else { fatalError("section counts differ") }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main struct Replay { static func main() { FuzzSupport.replay(fuzzOne) } }
#endif
