import DNSWire

/// Compiled answers for a group of names (one zone file's, or the `dns-version` TXT),
/// relocatable into a `NameTable` by `AnswerTableBuilder`.
///
/// The general compiler: any record type, through `ResourceRecord` and `MessageBuilder`.
/// Zone files change rarely; services, which change all the time and number in the
/// thousands, go through `ServiceTableWriter` instead.
public struct AnswerFragment: Sendable {
    package struct Name: Sendable {
        var wire: [UInt8]
        var types: [(type: UInt16, answer: Ref)]
        var any: Ref?
        var fallback: Ref?
        var acceptsPortNames: Bool
    }

    /// An answer's offset and length in `arena`.
    typealias Ref = (offset: UInt32, length: UInt32)

    var arena: [UInt8] = []
    var names: [Name] = []

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
        }
    }

    private mutating func store(_ bytes: [UInt8]) -> Ref {
        let r: Ref = (UInt32(arena.count), UInt32(bytes.count))
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
