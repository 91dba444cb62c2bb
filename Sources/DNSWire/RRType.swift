/// A resource record TYPE or QTYPE (RFC 1035 §3.2.2, IANA registry).
///
/// A struct rather than an enum so that every 16-bit value, known or not, round-trips.
public struct RRType: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RRType(1)
    public static let ns = RRType(2)
    public static let cname = RRType(5)
    public static let soa = RRType(6)
    public static let ptr = RRType(12)
    public static let hinfo = RRType(13)
    public static let mx = RRType(15)
    public static let txt = RRType(16)
    public static let aaaa = RRType(28)
    public static let srv = RRType(33)
    public static let opt = RRType(41)
    public static let ixfr = RRType(251)
    public static let axfr = RRType(252)
    public static let any = RRType(255)

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
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let `in` = RRClass(rawValue: 1)
    public static let ch = RRClass(rawValue: 3)
    public static let any = RRClass(rawValue: 255)
}

/// The response codes Sextant sends. `badVers` is an extended RCODE (RFC 6891 §9):
/// its high 8 bits travel in the OPT record, its low 4 bits in the header.
public struct RCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let noError = RCode(rawValue: 0)
    public static let formErr = RCode(rawValue: 1)
    public static let servFail = RCode(rawValue: 2)
    public static let nxDomain = RCode(rawValue: 3)
    public static let notImp = RCode(rawValue: 4)
    public static let refused = RCode(rawValue: 5)
    public static let badVers = RCode(rawValue: 16)

    /// Low 4 bits, for the header.
    public var headerBits: UInt16 { rawValue & 0x000F }
    /// High 8 bits, for the OPT record's extended RCODE field.
    public var extendedBits: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 4) }

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
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let query = Opcode(rawValue: 0)
    public static let notify = Opcode(rawValue: 4)
    public static let update = Opcode(rawValue: 5)
}
