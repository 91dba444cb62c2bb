/// A domain name in uncompressed wire form, stored lower-cased.
///
/// Names are lower-cased once, when they are made, so that comparing and hashing them
/// is a byte comparison (hickory-dns does the same). The case a client used survives
/// only where the protocol needs it: in the question echoed back.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// Wire bytes: length-prefixed labels ending with the zero-length root label.
    public let wire: [UInt8]

    public static let root = DNSName(uncheckedWire: [0])

    /// One call for the whole name: the synthesized conformance fed the hasher byte by
    /// byte, a tenth of a full compile (names key the compiler's dictionaries and sets).
    public func hash(into hasher: inout Hasher) {
        wire.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// Wraps wire bytes that are known to be a valid, lower-cased name.
    init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    /// Validates and lower-cases wire bytes of an uncompressed name.
    public init(wire bytes: [UInt8]) throws(WireError) {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while true {
            guard i < bytes.count else { throw .truncated(offset: i) }
            let len = Int(bytes[i])
            if len & 0xC0 != 0 { throw .badLabelType(offset: i) }
            if len > Wire.Name.maxLabelLength { throw .labelTooLong(offset: i) }
            guard i + 1 + len <= bytes.count else { throw .truncated(offset: i) }
            out.append(UInt8(len))
            for j in 0..<len { out.append(DNSName.lower(bytes[i + 1 + j])) }
            i += 1 + len
            if out.count > Wire.Name.maxLength { throw .nameTooLong(offset: i) }
            if len == 0 { break }
        }
        if i != bytes.count { throw .trailingBytes(offset: i) }
        self.wire = out
    }

    /// Parses presentation format (`www.Example.com.`, a relative name is taken as
    /// absolute), with RFC 1035 §5.1 escapes `\.` and `\DDD`.
    public init(_ text: String) throws(WireError) {
        var out: [UInt8] = []
        var label: [UInt8] = []
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: ".")] || bytes.isEmpty {
            self = .root
            return
        }
        var i = 0
        func closeLabel() throws(WireError) {
            if label.isEmpty { throw .badPresentation("empty label in \(text)") }
            if label.count > Wire.Name.maxLabelLength {
                throw .badPresentation("label longer than 63 octets in \(text)")
            }
            out.append(UInt8(label.count))
            out.append(contentsOf: label)
            label.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { throw .badPresentation("dangling escape in \(text)") }
                let d = bytes[i + 1]
                if d >= 0x30 && d <= 0x39 {
                    var v = 0
                    for k in 1...3 {
                        guard i + k < bytes.count else { throw .badPresentation("short \\DDD escape in \(text)") }
                        let x = bytes[i + k]
                        guard x >= 0x30 && x <= 0x39 else { throw .badPresentation("bad \\DDD escape in \(text)") }
                        v = v * 10 + Int(x - 0x30)
                    }
                    guard v <= 255 else { throw .badPresentation("\\DDD escape above 255 in \(text)") }
                    label.append(DNSName.lower(UInt8(v)))
                    i += 4
                } else {
                    label.append(DNSName.lower(d))
                    i += 2
                }
            } else if c == UInt8(ascii: ".") {
                try closeLabel()
                i += 1
            } else {
                label.append(DNSName.lower(c))
                i += 1
            }
        }
        if !label.isEmpty { try closeLabel() }
        out.append(0)
        if out.count > Wire.Name.maxLength { throw .badPresentation("name longer than 255 octets: \(text)") }
        self.wire = out
    }

    @inline(__always)
    public static func lower(_ b: UInt8) -> UInt8 {
        (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
    }

    /// The labels, left to right, without the root.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var i = 0
        while wire[i] != 0 {
            let len = Int(wire[i])
            result.append(wire[(i + 1)..<(i + 1 + len)])
            i += 1 + len
        }
        return result
    }

    public var labelCount: Int {
        var n = 0
        var i = 0
        while wire[i] != 0 { n += 1; i += 1 + Int(wire[i]) }
        return n
    }

    public var isRoot: Bool { wire.count == 1 }

    /// The name without its leftmost label; the root's parent is the root.
    public var parent: DNSName {
        if isRoot { return self }
        return DNSName(uncheckedWire: Array(wire[(1 + Int(wire[0]))...]))
    }

    /// True when `self` equals `zone` or lies below it.
    public func isSubdomain(of zone: DNSName) -> Bool {
        guard wire.count >= zone.wire.count else { return false }
        let start = wire.count - zone.wire.count
        guard wire[start...].elementsEqual(zone.wire) else { return false }
        // The suffix must begin on a label boundary.
        var i = 0
        while i < start { i += 1 + Int(wire[i]) }
        return i == start
    }

    /// `label.self`: prepends one label given as presentation-free raw bytes.
    public func prepending(label: some Collection<UInt8>) throws(WireError) -> DNSName {
        guard !label.isEmpty, label.count <= Wire.Name.maxLabelLength else {
            throw .badPresentation("label of \(label.count) octets")
        }
        var out: [UInt8] = [UInt8(label.count)]
        out.append(contentsOf: label.map(DNSName.lower))
        out.append(contentsOf: wire)
        guard out.count <= Wire.Name.maxLength else { throw .badPresentation("name longer than 255 octets") }
        return DNSName(uncheckedWire: out)
    }

    /// Presentation format, absolute, with escapes for dots, backslashes and non-printables.
    public var description: String {
        if isRoot { return "." }
        var s = ""
        for label in labels {
            for b in label {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"),
                    UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    s.append("\\")
                    s.append(Character(Unicode.Scalar(b)))
                case 0x21...0x7E:
                    s.append(Character(Unicode.Scalar(b)))
                default:
                    let d = String(b)
                    s.append("\\" + String(repeating: "0", count: 3 - d.count) + d)
                }
            }
            s.append(".")
        }
        return s
    }
}
