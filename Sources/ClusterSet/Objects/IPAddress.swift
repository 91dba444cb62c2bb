import DNSWire

/// An IPv4 or IPv6 address as its 4 or 16 bytes: parsed once when an object arrives,
/// never kept as text.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        if let v4 = IPv4Text.parse(text) {
            bytes = v4
        } else if let v6 = IPv6Text.parse(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    public var isIPv6: Bool { bytes.count == 16 }

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
        l.bytes.count != r.bytes.count ? l.bytes.count < r.bytes.count : l.bytes.lexicographicallyPrecedes(r.bytes)
    }
}
