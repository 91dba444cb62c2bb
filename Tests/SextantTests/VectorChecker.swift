import DNSWire
import Foundation

/// Checks a scenario's queries against any way of asking (in-process or a socket) and
/// returns every mismatch as text, so one run reports all failures at once.
struct VectorChecker {
    let scenario: Scenario
    let mcs: Bool
    /// Sends a query and returns the reply bytes (nil: no reply).
    let ask: ([UInt8]) -> [UInt8]?
    var nextID: UInt16 = 1

    static let zone = try! DNSName("clusterset.local")

    mutating func run() -> [String] {
        var failures: [String] = []
        for (i, q) in scenario.queries.enumerated() {
            if mcs && q.mcs == nil { continue }
            let label = "\(scenario.name) #\(i) \(q.qname) \(q.qtype)\(mcs ? " [mcs]" : "")"
            failures += check(q).map { "\(label): \($0)" }
        }
        return failures
    }

    mutating func send(_ q: VectorQuery) -> Message? {
        nextID &+= 1
        let bytes = vectorQuery(q, id: nextID)
        guard let reply = ask(bytes), let m = try? Message(decoding: reply) else { return nil }
        return m
    }

    mutating func check(_ q: VectorQuery) -> [String] {
        guard let m = send(q) else { return ["no reply or undecodable reply"] }
        var f: [String] = []
        let expectRcode = mcs ? q.mcs?.rcode ?? q.rcode : q.rcode
        let expectAA = mcs ? q.mcs?.aa ?? q.aa : q.aa
        if m.rcode.mnemonic != expectRcode { f.append("rcode \(m.rcode.mnemonic), expected \(expectRcode)") }
        if m.authoritative != expectAA { f.append("aa \(m.authoritative), expected \(expectAA)") }
        var sent: [UInt8] = []
        for label in q.qname.split(separator: ".") { sent.append(UInt8(label.utf8.count)); sent += label.utf8 }
        sent.append(0)
        if m.rawQuestionName != sent { f.append("question not echoed byte for byte") }
        let authority = mcs ? q.mcs?.authority : q.authority
        if let a = authority { f += checkAuthority(m, a) }
        let additional = mcs ? q.mcs?.additional : q.additional
        if let add = additional, !matches(m.additional, add, compareSRVPriority: !mcs) {
            f.append("additional \(show(m.additional)), expected \(add.map { "\($0.name) \($0.type) \($0.data)" })")
        }
        if mcs {
            if let answers = q.mcs?.answers, !matches(m.answers, answers, compareSRVPriority: false) {
                f.append("answers \(show(m.answers)), expected \(answers.map(\.data))")
            }
            return f
        }
        if let alternatives = q.answers_one_of {
            f += checkRotation(q, first: m, alternatives: alternatives)
        } else if let answers = q.answers {
            let ok: Bool
            switch q.match ?? "exact" {
            case "cover": ok = covers(m.answers, answers)
            case "subset_or_rfc8482": ok = subsetOrMinimal(m.answers, answers)
            default: ok = matches(m.answers, answers, compareSRVPriority: true)
            }
            if !ok { f.append("answers \(show(m.answers)), expected \(answers.map(\.data)) (\(q.match ?? "exact"))") }
            if q.stable == true {
                for _ in 0..<5 {
                    if let again = send(q), !matches(again.answers, answers, compareSRVPriority: true) {
                        f.append("not stable: later \(show(again.answers))")
                        break
                    }
                }
            }
        }
        return f
    }

    func checkAuthority(_ m: Message, _ kind: String) -> [String] {
        switch kind {
        case "empty":
            return m.authority.isEmpty ? [] : ["authority \(show(m.authority)), expected empty"]
        case "soa":
            guard m.authority.count == 1, let soa = m.authority.first, soa.type == .soa, soa.name == Self.zone,
                  let minimum = soa.rdata.soaMinimum, soa.ttl <= minimum
            else { return ["authority \(show(m.authority)), expected the zone's SOA with TTL ≤ MINIMUM"] }
            return []
        default:
            return ["unknown authority expectation \(kind)"]
        }
    }

    /// Asks repeatedly: every answer is one alternative, and the sequence is a fixed
    /// cycle in which alternative i appears weights[i] times.
    mutating func checkRotation(_ q: VectorQuery, first: Message, alternatives: [[RecordExpectation]]) -> [String] {
        let weights = q.round_robin_weights ?? Array(repeating: 1, count: alternatives.count)
        let period = weights.reduce(0, +)
        var seen: [Int] = []
        var message: Message? = first
        for _ in 0..<(period * 3) {
            guard let m = message ?? send(q) else { return ["no reply during rotation"] }
            message = nil
            guard let i = alternatives.firstIndex(where: { matches(m.answers, $0, compareSRVPriority: true) }) else {
                return ["answer \(show(m.answers)) is none of \(alternatives.map { $0.map(\.data) })"]
            }
            seen.append(i)
        }
        for k in 0..<(seen.count - period) where seen[k] != seen[k + period] {
            return ["rotation \(seen) is not a cycle of \(period)"]
        }
        for (i, w) in weights.enumerated() where seen.prefix(period).filter({ $0 == i }).count != w {
            return ["rotation \(seen) gives alternative \(i) other than \(w) times per cycle"]
        }
        return []
    }

    func show(_ rrs: [ResourceRecord]) -> [String] { rrs.map { "\($0.name) \($0.type.mnemonic) \($0.ttl) \($0.presentationData)" } }

    /// Normalised data: addresses re-formatted, names lower-cased and absolute.
    func normalize(_ type: String, _ data: String, srvPriority: Bool) -> String {
        switch type {
        case "A", "AAAA":
            if let v4 = IPv4Text.parse(data) { return v4.map(String.init).joined(separator: ".") }
            if let v6 = IPv6Text.parse(data) { return IPv6Text.format(v6) }
            return data
        case "SRV":
            let parts = data.lowercased().split(separator: " ").map(String.init)
            guard parts.count == 4 else { return data }
            let target = parts[3].hasSuffix(".") ? parts[3] : parts[3] + "."
            return srvPriority ? "\(parts[0]) \(parts[1]) \(parts[2]) \(target)" : "\(parts[2]) \(target)"
        case "TXT":
            return data
        default:
            return data.lowercased()
        }
    }

    func key(_ rr: ResourceRecord, srvPriority: Bool) -> String {
        "\(rr.name.description.lowercased())|\(rr.type.mnemonic)|\(normalize(rr.type.mnemonic, rr.presentationData, srvPriority: srvPriority))"
    }

    func key(_ e: RecordExpectation, srvPriority: Bool) -> String {
        let name = (e.name.hasSuffix(".") ? e.name : e.name + ".").lowercased()
        return "\(name)|\(e.type)|\(normalize(e.type, e.data, srvPriority: srvPriority))"
    }

    func recordMatches(_ rr: ResourceRecord, _ e: RecordExpectation, srvPriority: Bool) -> Bool {
        if let ttl = e.ttl, Int(rr.ttl) != ttl { return false }
        if e.data == "*" {
            return rr.name.description.lowercased() == (e.name.hasSuffix(".") ? e.name : e.name + ".").lowercased() && rr.type.mnemonic == e.type
        }
        return key(rr, srvPriority: srvPriority) == key(e, srvPriority: srvPriority)
    }

    /// Multiset equality.
    func matches(_ rrs: [ResourceRecord], _ expected: [RecordExpectation], compareSRVPriority: Bool) -> Bool {
        guard rrs.count == expected.count else { return false }
        var left = expected
        for rr in rrs {
            guard let i = left.firstIndex(where: { recordMatches(rr, $0, srvPriority: compareSRVPriority) }) else { return false }
            left.remove(at: i)
        }
        return left.isEmpty
    }

    func covers(_ rrs: [ResourceRecord], _ expected: [RecordExpectation]) -> Bool {
        !rrs.isEmpty && rrs.allSatisfy { rr in expected.contains { recordMatches(rr, $0, srvPriority: true) } }
            && expected.allSatisfy { e in rrs.contains { recordMatches($0, e, srvPriority: true) } }
    }

    func subsetOrMinimal(_ rrs: [ResourceRecord], _ expected: [RecordExpectation]) -> Bool {
        if rrs.count == 1, rrs[0].type == .hinfo { return true }
        return !rrs.isEmpty && rrs.allSatisfy { rr in expected.contains { recordMatches(rr, $0, srvPriority: true) } }
    }
}
