/// An IPv4 address as the gateway handles them: Submariner's subnets and tunnel
/// addresses are IPv4 only (gateway.md a.2).
public struct IPv4: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let n = UInt8(p) else { return nil }
            v = v << 8 | UInt32(n)
        }
        value = v
    }

    public static func < (a: IPv4, b: IPv4) -> Bool { a.value < b.value }

    public var description: String {
        "\(value >> 24).\((value >> 16) & 255).\((value >> 8) & 255).\(value & 255)"
    }

    /// Network byte order, as netlink attributes carry it.
    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 255), UInt8((value >> 8) & 255), UInt8(value & 255)] }

    /// The same address with its first octet replaced: the VXLAN VTEP scheme (241.x.y.z).
    public func withFirstOctet(_ octet: UInt8) -> IPv4 { IPv4(value & 0x00FF_FFFF | UInt32(octet) << 24) }
}

/// An IPv4 prefix ("10.1.0.0/16"), host bits cleared.
public struct IPv4Network: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4
    public var prefixLength: UInt8

    public init(address: IPv4, prefixLength: UInt8) {
        self.prefixLength = min(prefixLength, 32)
        self.address = IPv4(address.value & Self.mask(self.prefixLength))
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv4(parts[0]), parts[1].allSatisfy(\.isASCII), let p = UInt8(parts[1]), p <= 32 else { return nil }
        self.init(address: a, prefixLength: p)
    }

    static func mask(_ p: UInt8) -> UInt32 { p == 0 ? 0 : UInt32.max << (32 - UInt32(p)) }

    public var description: String { "\(address)/\(prefixLength)" }

    public func contains(_ ip: IPv4) -> Bool { ip.value & Self.mask(prefixLength) == address.value }

    public func overlaps(_ other: IPv4Network) -> Bool {
        let p = min(prefixLength, other.prefixLength)
        return address.value & Self.mask(p) == other.address.value & Self.mask(p)
    }
}
