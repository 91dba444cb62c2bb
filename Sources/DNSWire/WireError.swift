/// Why a message could not be read, and where.
///
/// Every case carries the byte offset at which the problem was found, so a log line or
/// a fuzzer crash report points at the exact byte of the offending message.
public enum WireError: Error, Equatable, Sendable {
    /// The message ends before the field that starts (or needed bytes) at `offset`.
    case truncated(offset: Int)
    /// A label longer than 63 octets.
    case labelTooLong(offset: Int)
    /// A name longer than 255 octets in wire form.
    case nameTooLong(offset: Int)
    /// A compression pointer that does not point strictly backwards (forward or self pointer).
    case badPointer(offset: Int)
    /// More pointer hops than a legal name could need: a pointer loop.
    case compressionLoop(offset: Int)
    /// Label types 0x40 and 0x80 (RFC 6891 §5 retired the extended labels).
    case badLabelType(offset: Int)
    /// A compression pointer where this parser requires a literal name (the question).
    case compressedQuestion(offset: Int)
    /// QDCOUNT other than one in a query.
    case questionCount(offset: Int, count: Int)
    /// A second OPT record (RFC 6891 §6.1.1).
    case duplicateOPT(offset: Int)
    /// An OPT record whose owner is not the root, or options that overrun the RDATA.
    case badOPT(offset: Int)
    /// Bytes left over after the last record the counts announce.
    case trailingBytes(offset: Int)
    /// A presentation-format name or value that cannot be encoded.
    case badPresentation(String)

    /// The byte offset of the problem, when it has one.
    public var offset: Int? {
        switch self {
        case .truncated(let o), .labelTooLong(let o), .nameTooLong(let o), .badPointer(let o),
            .compressionLoop(let o), .badLabelType(let o), .compressedQuestion(let o),
            .duplicateOPT(let o), .badOPT(let o), .trailingBytes(let o):
            return o
        case .questionCount(let o, _):
            return o
        case .badPresentation:
            return nil
        }
    }
}
