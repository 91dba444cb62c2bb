#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 prefix that client addresses are matched against (`--allow`).
public struct SourcePrefix: Sendable, Equatable, CustomStringConvertible {
    public let isIPv6: Bool
    /// 4 or 16 bytes, host bits cleared.
    let bytes: [UInt8]
    public let length: Int

    /// "10.0.0.0/8", "fd00::/8", or an address alone (a /32 or /128).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first else { return nil }
        var raw: [UInt8]
        if host.contains(":") {
            var a = in6_addr()
            guard inet_pton(AF_INET6, String(host), &a) == 1 else { return nil }
            raw = withUnsafeBytes(of: a) { Array($0) }
            isIPv6 = true
        } else {
            var a = in_addr()
            guard host.split(separator: ".").count == 4, inet_pton(AF_INET, String(host), &a) == 1 else { return nil }
            raw = withUnsafeBytes(of: a) { Array($0) }
            isIPv6 = false
        }
        let maxLength = raw.count * 8
        if parts.count == 2 {
            guard let l = Int(parts[1]), (0...maxLength).contains(l), parts[1].allSatisfy(\.isASCII) else { return nil }
            length = l
        } else {
            length = maxLength
        }
        for i in 0..<raw.count {
            let keep = max(0, min(8, length - i * 8))
            raw[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        bytes = raw
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: 64)
        bytes.withUnsafeBytes { _ = inet_ntop(isIPv6 ? AF_INET6 : AF_INET, $0.baseAddress, &text, 64) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/\(length)"
    }

    /// Whether the address bytes (4 or 16) fall in the prefix; IPv4-mapped IPv6
    /// addresses (a dual-stack socket's IPv4 clients) count as IPv4.
    @inline(__always)
    func contains(_ address: UnsafeRawBufferPointer) -> Bool {
        guard address.count == bytes.count else { return false }
        var bits = length
        var i = 0
        while bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[i] & mask != bytes[i] { return false }
            bits -= 8
            i += 1
        }
        return true
    }
}

/// The client addresses a server answers (`--allow`); everyone else gets REFUSED.
public struct SourceFilter: Sendable {
    public let prefixes: [SourcePrefix]

    public init(_ prefixes: [SourcePrefix]) { self.prefixes = prefixes }

    /// Whether the sender in `name` (a sockaddr_in or sockaddr_in6) is allowed.
    func allows(_ name: UnsafeRawPointer) -> Bool {
        Self.withAddress(name) { address in prefixes.contains { $0.contains(address) } } ?? false
    }

    /// The address bytes of a sockaddr (IPv4-mapped IPv6 as its 4 IPv4 bytes).
    @inline(__always)
    static func withAddress<T>(_ name: UnsafeRawPointer, _ body: (UnsafeRawBufferPointer) -> T) -> T? {
        let family = name.load(as: sa_family_t.self)
        if family == sa_family_t(AF_INET) {
            return body(UnsafeRawBufferPointer(start: name + MemoryLayout<sockaddr_in>.offset(of: \sockaddr_in.sin_addr)!, count: 4))
        }
        if family == sa_family_t(AF_INET6) {
            let a = UnsafeRawBufferPointer(start: name + MemoryLayout<sockaddr_in6>.offset(of: \sockaddr_in6.sin6_addr)!, count: 16)
            // ::ffff:a.b.c.d
            if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF {
                return body(UnsafeRawBufferPointer(rebasing: a[12..<16]))
            }
            return body(a)
        }
        return nil
    }
}
