import DNSWire

/// Compiled answers for a group of names (one service in one zone, or one zone file),
/// relocatable into any `AnswerTable`.
///
/// Compiling (compression, wire encoding) is the expensive part of building a table, so
/// the store keeps one fragment per service and a data change recompiles only the
/// fragments of the services it touches; assembling a table from fragments is copying.
public struct AnswerFragment: Sendable {
    struct Name: Sendable {
        var wire: [UInt8]
        var types: [(type: UInt16, answer: Ref)]
        var any: Ref?
        var fallback: Ref?
        var acceptsPortNames: Bool
    }

    enum Ref: Sendable {
        /// offset and length in `arena`.
        case blob(UInt32, UInt32)
        /// index into `rotations`.
        case rotation(Int)
    }

    struct Rotation: Sendable {
        var counter: Int
        var advance: Bool
        var cycle: [UInt16]
        var alternatives: [(UInt32, UInt32)]
    }

    var arena: [UInt8] = []
    var names: [Name] = []
    var rotations: [Rotation] = []

    /// Bytes of compiled answers, for sizing reports.
    public var byteCount: Int { arena.count }
    public var nameCount: Int { names.count }

    public init(compiling specs: [NameSpec]) {
        for spec in specs {
            var types: [(UInt16, Ref)] = []
            for type in spec.answers.keys.sorted() {
                guard let a = spec.answers[type] else { continue }
                types.append((type.rawValue, ref(a, owner: spec.name)))
            }
            let any = spec.any.map { ref(.fixed(Sections(answer: $0)), owner: spec.name) }
            let fallback = spec.fallback.map { ref(.fixed(Sections(answer: $0)), owner: spec.name) }
            names.append(Name(wire: spec.name.wire, types: types, any: any, fallback: fallback, acceptsPortNames: spec.acceptsPortNames))
        }
    }

    private mutating func ref(_ spec: AnswerSpec, owner: DNSName) -> Ref {
        switch spec {
        case .fixed(let s):
            return store(Self.compile(owner: owner, s))
        case .rotating(let counter, let advance, let cycle, let alternatives):
            var alts: [(UInt32, UInt32)] = []
            for s in alternatives {
                guard case .blob(let o, let l) = store(Self.compile(owner: owner, s)) else { continue }
                alts.append((o, l))
            }
            rotations.append(Rotation(counter: counter, advance: advance, cycle: cycle, alternatives: alts))
            return .rotation(rotations.count - 1)
        }
    }

    private mutating func store(_ bytes: [UInt8]) -> Ref {
        let r = Ref.blob(UInt32(arena.count), UInt32(bytes.count))
        arena.append(contentsOf: bytes)
        return r
    }

    /// Three counts, then the sections, compiled for a question at offset 12 whose name
    /// has the owner's length: owner names become pointers into the echoed question.
    static func compile(owner: DNSName, _ s: Sections) -> [UInt8] {
        var b = MessageBuilder(base: Wire.Header.size + owner.wire.count + Wire.Question.fixedSize)
        b.register(owner, at: Wire.Header.size)
        for rr in s.answer { b.append(rr) }
        for rr in s.additional { b.append(rr) }
        var counts = MessageBuilder()
        counts.appendUInt16(UInt16(s.answer.count))
        counts.appendUInt16(0)
        counts.appendUInt16(UInt16(s.additional.count))
        return counts.bytes + b.bytes
    }
}
