import DNSWire

/// An IPv4 or IPv6 address as its 4 or 16 bytes: parsed once when an object arrives,
/// never kept as text.
///
/// The bytes are held inline as two big-endian words (an IPv4 address in the low four
/// bytes of `low`): the store keeps every endpoint address it watches, and a `[UInt8]`
/// per address was a heap block of 48 bytes each.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    private let high: UInt64
    private let low: UInt64
    public let isIPv6: Bool

    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            high = 0
            low = Self.word(bytes[0..<4])
            isIPv6 = false
        case 16:
            high = Self.word(bytes[0..<8])
            low = Self.word(bytes[8..<16])
            isIPv6 = true
        default:
            return nil
        }
    }

    /// An IPv4 address from its big-endian word.
    public init(ipv4 word: UInt32) {
        high = 0
        low = UInt64(word)
        isIPv6 = false
    }

    public init?(_ text: String) {
        if let v4 = IPv4Text.parseWord(text) {
            self.init(ipv4: v4)
        } else if let v6 = IPv6Text.parse(text) {
            self.init(bytes: v6)
        } else {
            return nil
        }
    }

    private static func word(_ b: ArraySlice<UInt8>) -> UInt64 {
        b.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func append(_ w: UInt64, count: Int, to out: inout [UInt8]) {
        for i in stride(from: count - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: w >> UInt64(i * 8))) }
    }

    /// The 4 or 16 bytes, in network order.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(isIPv6 ? 16 : 4)
        append(to: &out)
        return out
    }

    /// Appends the 4 or 16 bytes, in network order (the answer compiler's RDATA).
    func append(to out: inout [UInt8]) {
        if isIPv6 {
            Self.append(high, count: 8, to: &out)
            Self.append(low, count: 8, to: &out)
        } else {
            Self.append(low, count: 4, to: &out)
        }
    }

    /// The same bytes into the service compiler's buffer.
    func append(to out: WireBuffer) {
        if isIPv6 {
            out.appendUInt32(UInt32(truncatingIfNeeded: high >> 32))
            out.appendUInt32(UInt32(truncatingIfNeeded: high))
            out.appendUInt32(UInt32(truncatingIfNeeded: low >> 32))
        }
        out.appendUInt32(UInt32(truncatingIfNeeded: low))
    }

    public var description: String {
        isIPv6 ? IPv6Text.format(bytes) : bytes.map(String.init).joined(separator: ".")
    }

    /// The MCS "system-assigned" host name: the address with `.` or `:` replaced by `-`
    /// (`192-0-2-72`, `2001-db8-3--5`).
    public var dashed: String {
        String(description.map { $0 == "." || $0 == ":" ? "-" : $0 })
    }

    public var record: RData { .bytes(bytes) }
    public var recordType: RRType { isIPv6 ? .aaaa : .a }

    public static func < (l: IPAddress, r: IPAddress) -> Bool {
        l.isIPv6 != r.isIPv6 ? !l.isIPv6 : (l.high, l.low) < (r.high, r.low)
    }
}
