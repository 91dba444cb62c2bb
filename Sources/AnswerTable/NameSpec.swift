import DNSWire

/// What one owner name answers, before compilation: the input of `AnswerFragment`.
public struct NameSpec: Sendable {
    public var name: DNSName
    public var answers: [RRType: AnswerSpec]
    /// Answer for QTYPE ANY; nil answers NODATA (an empty non-terminal, say).
    public var any: [ResourceRecord]?
    /// Answer for types without their own entry (a CNAME owner).
    public var fallback: [ResourceRecord]?
    /// Names `_port._proto.<name>` (and `port.proto.<name>`) exist for every port and
    /// protocol, answering NODATA unless compiled: Lighthouse's SRV port filter.
    public var acceptsPortNames: Bool

    public init(name: DNSName, answers: [RRType: AnswerSpec] = [:], any: [ResourceRecord]? = nil,
                fallback: [ResourceRecord]? = nil, acceptsPortNames: Bool = false) {
        self.name = name
        self.answers = answers
        self.any = any
        self.fallback = fallback
        self.acceptsPortNames = acceptsPortNames
    }
}

/// The sections of one answer.
public struct Sections: Sendable, Equatable {
    public var answer: [ResourceRecord]
    public var additional: [ResourceRecord]
    public init(answer: [ResourceRecord], additional: [ResourceRecord] = []) {
        self.answer = answer
        self.additional = additional
    }
}

/// One type's answer at a name. Zone-file names answer fixed RRsets; rotating answers
/// are a service's, compiled by `ServiceTableWriter`.
public enum AnswerSpec: Sendable, Equatable {
    case fixed(Sections)
}
