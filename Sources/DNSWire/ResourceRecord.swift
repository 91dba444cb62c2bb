/// One resource record, as zone loading and answer compilation see it.
public struct ResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var type: RRType
    public var rclass: UInt16
    public var ttl: UInt32
    public var rdata: RData

    public init(name: DNSName, type: RRType, rclass: UInt16 = RRClass.in.rawValue, ttl: UInt32, rdata: RData) {
        self.name = name
        self.type = type
        self.rclass = rclass
        self.ttl = ttl
        self.rdata = rdata
    }
}

/// Record data as a sequence of literal bytes and embedded names.
///
/// Keeping names apart lets the encoder compress the ones RFC 3597 §4 allows (the
/// RFC 1035 types) and write the others (SRV targets, RFC 2782) uncompressed, and lets
/// the decoder hand back names that were compressed on the wire.
public struct RData: Hashable, Sendable {
    public enum Piece: Hashable, Sendable {
        case bytes([UInt8])
        case name(DNSName)
    }

    public private(set) var pieces: [Piece]

    public init(_ pieces: [Piece]) {
        var merged: [Piece] = []
        for p in pieces {
            if case .bytes(let b) = p, b.isEmpty { continue }
            if case .bytes(let b) = p, case .bytes(let prev)? = merged.last {
                merged[merged.count - 1] = .bytes(prev + b)
            } else {
                merged.append(p)
            }
        }
        self.pieces = merged
    }

    public static func bytes(_ b: [UInt8]) -> RData { RData([.bytes(b)]) }
    public static func a(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> RData { .bytes([a, b, c, d]) }
    public static func name(_ n: DNSName) -> RData { RData([.name(n)]) }

    public static func srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) -> RData {
        RData([.bytes(be16(priority) + be16(weight) + be16(port)), .name(target)])
    }

    public static func soa(
        mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32,
        expire: UInt32, minimum: UInt32
    ) -> RData {
        RData([.name(mname), .name(rname),
               .bytes(be32(serial) + be32(refresh) + be32(retry) + be32(expire) + be32(minimum))])
    }

    /// TXT from character-strings (each at most 255 bytes; longer ones are split).
    public static func txt(_ strings: [String]) -> RData {
        var out: [UInt8] = []
        for s in strings {
            var u = Array(s.utf8)
            repeat {
                let chunk = Array(u.prefix(255))
                u.removeFirst(chunk.count)
                out.append(UInt8(chunk.count))
                out.append(contentsOf: chunk)
            } while !u.isEmpty
        }
        return .bytes(out)
    }

    /// Uncompressed wire length.
    public var wireLength: Int {
        pieces.reduce(0) { acc, p in
            switch p {
            case .bytes(let b): return acc + b.count
            case .name(let n): return acc + n.wire.count
            }
        }
    }

    /// Uncompressed wire bytes.
    public var wire: [UInt8] {
        var out: [UInt8] = []
        for p in pieces {
            switch p {
            case .bytes(let b): out += b
            case .name(let n): out += n.wire
            }
        }
        return out
    }

    /// The SOA MINIMUM field, which bounds negative-answer TTLs (RFC 2308 §5).
    public var soaMinimum: UInt32? {
        guard pieces.count == 3, case .bytes(let b) = pieces[2], b.count == 20 else { return nil }
        return UInt32(b[16]) << 24 | UInt32(b[17]) << 16 | UInt32(b[18]) << 8 | UInt32(b[19])
    }
}

@inline(__always) func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
@inline(__always) func be32(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
}

extension RRType {
    /// Types whose embedded names may be compressed: the RFC 1035 ones (RFC 3597 §4).
    public var allowsNameCompression: Bool {
        switch self {
        case .ns, .cname, .soa, .ptr, .mx: return true
        default: return false
        }
    }
}
