/// A resource record TYPE or QTYPE (RFC 1035 §3.2.2, IANA registry).
///
/// A struct rather than an enum so that every 16-bit value, known or not, round-trips.
public struct RRType: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var a: RRType { RRType(1) }
    @inlinable public static var ns: RRType { RRType(2) }
    @inlinable public static var cname: RRType { RRType(5) }
    @inlinable public static var soa: RRType { RRType(6) }
    @inlinable public static var ptr: RRType { RRType(12) }
    @inlinable public static var hinfo: RRType { RRType(13) }
    @inlinable public static var mx: RRType { RRType(15) }
    @inlinable public static var txt: RRType { RRType(16) }
    @inlinable public static var aaaa: RRType { RRType(28) }
    @inlinable public static var srv: RRType { RRType(33) }
    @inlinable public static var opt: RRType { RRType(41) }
    @inlinable public static var ixfr: RRType { RRType(251) }
    @inlinable public static var axfr: RRType { RRType(252) }
    @inlinable public static var any: RRType { RRType(255) }

    private static let mnemonics: [(String, RRType)] = [
        ("A", .a), ("NS", .ns), ("CNAME", .cname), ("SOA", .soa), ("PTR", .ptr),
        ("HINFO", .hinfo), ("MX", .mx), ("TXT", .txt), ("AAAA", .aaaa), ("SRV", .srv),
        ("OPT", .opt), ("IXFR", .ixfr), ("AXFR", .axfr), ("ANY", .any),
    ]

    /// Parses a mnemonic (`AAAA`) or the RFC 3597 form (`TYPE28`), case-insensitively.
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let hit = Self.mnemonics.first(where: { $0.0 == upper }) {
            self = hit.1
        } else if upper.hasPrefix("TYPE"), let n = UInt16(upper.dropFirst(4)) {
            self.rawValue = n
        } else {
            return nil
        }
    }

    public var mnemonic: String {
        Self.mnemonics.first(where: { $0.1 == self })?.0 ?? "TYPE\(rawValue)"
    }

    public static func < (l: RRType, r: RRType) -> Bool { l.rawValue < r.rawValue }
}

/// CLASS values. Sextant serves IN only; CH and others are answered REFUSED.
public struct RRClass: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public static var `in`: RRClass { RRClass(rawValue: 1) }
    @inlinable public static var ch: RRClass { RRClass(rawValue: 3) }
    @inlinable public static var any: RRClass { RRClass(rawValue: 255) }
}

/// The response codes Sextant sends. `badVers` is an extended RCODE (RFC 6891 §9):
/// its high 8 bits travel in the OPT record, its low 4 bits in the header.
public struct RCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public static var noError: RCode { RCode(rawValue: 0) }
    @inlinable public static var formErr: RCode { RCode(rawValue: 1) }
    @inlinable public static var servFail: RCode { RCode(rawValue: 2) }
    @inlinable public static var nxDomain: RCode { RCode(rawValue: 3) }
    @inlinable public static var notImp: RCode { RCode(rawValue: 4) }
    @inlinable public static var refused: RCode { RCode(rawValue: 5) }
    @inlinable public static var badVers: RCode { RCode(rawValue: 16) }

    /// Low 4 bits, for the header.
    @inlinable public var headerBits: UInt16 { rawValue & 0x000F }
    /// High 8 bits, for the OPT record's extended RCODE field.
    @inlinable public var extendedBits: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 4) }

    public var mnemonic: String {
        switch self {
        case .noError: return "NOERROR"
        case .formErr: return "FORMERR"
        case .servFail: return "SERVFAIL"
        case .nxDomain: return "NXDOMAIN"
        case .notImp: return "NOTIMP"
        case .refused: return "REFUSED"
        case .badVers: return "BADVERS"
        default: return "RCODE\(rawValue)"
        }
    }
}

/// Message opcodes (RFC 1035 §4.1.1). Only QUERY is served; the rest get NOTIMP.
public struct Opcode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public static var query: Opcode { Opcode(rawValue: 0) }
    @inlinable public static var notify: Opcode { Opcode(rawValue: 4) }
    @inlinable public static var update: Opcode { Opcode(rawValue: 5) }
}
