#if canImport(Glibc)
import Glibc
#endif

/// An address and port to serve on: `127.0.0.1:5353`, `[::1]:5353`, `0.0.0.0:53`.
/// Port 0 asks the kernel for a free port, the same one for UDP and TCP.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable { case ipv4, ipv6 }
    public let family: Family
    /// 4 or 16 bytes, network order.
    public let address: [UInt8]
    public var port: UInt16

    /// Parses `ADDR:PORT`, with IPv6 addresses in brackets.
    public init(parsing text: String) throws(ListenAddressError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .syntax(text) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .syntax(text) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { throw .syntax(text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText), portText.allSatisfy(\.isNumber) else { throw .port(text) }
        self.port = port
        var buf = [UInt8](repeating: 0, count: 16)
        if text.hasPrefix("[") {
            guard inet_pton(AF_INET6, String(host), &buf) == 1 else { throw .address(text) }
            family = .ipv6
            address = buf
        } else {
            guard inet_pton(AF_INET, String(host), &buf) == 1 else { throw .address(text) }
            family = .ipv4
            address = Array(buf[0..<4])
        }
    }

    public var description: String {
        var buf = [CChar](repeating: 0, count: 64)
        let af = family == .ipv4 ? AF_INET : AF_INET6
        let text = address.withUnsafeBytes { raw -> String in
            guard inet_ntop(af, raw.baseAddress, &buf, 64) != nil else { return "?" }
            return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return family == .ipv4 ? "\(text):\(port)" : "[\(text)]:\(port)"
    }

    /// Calls `body` with a sockaddr for this address.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .ipv4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: address) }
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .ipv6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: address) }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }
}

/// Why a `--listen` value was not understood.
public enum ListenAddressError: Error, CustomStringConvertible, Sendable {
    case syntax(String)
    case port(String)
    case address(String)

    public var description: String {
        switch self {
        case .syntax(let t): return "'\(t)' is not ADDR:PORT (write IPv6 addresses as [::1]:5353)"
        case .port(let t): return "'\(t)' has no valid port (0-65535)"
        case .address(let t): return "'\(t)' has no valid IP address"
        }
    }
}
