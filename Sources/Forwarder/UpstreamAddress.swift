#if canImport(Glibc)
import Glibc
#endif

/// An upstream nameserver's address: `IP`, `IP:PORT`, `[IPv6]:PORT`, or every
/// `nameserver` line of a resolv.conf (`resolv.conf` for /etc/resolv.conf, or a path).
public struct UpstreamAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    public let family: Int32

    public var description: String { family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public init?(host: String, port: UInt16 = 53) {
        var a4 = in_addr()
        var a6 = in6_addr()
        if inet_pton(AF_INET, host, &a4) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, host, &a6) == 1 {
            family = AF_INET6
        } else {
            return nil
        }
        self.host = host
        self.port = port
    }

    /// One `--forward` value, which may stand for several upstreams (a resolv.conf).
    public static func parse(_ text: String, readFile: (String) throws -> String = UpstreamAddress.readFile) throws(UpstreamError) -> [UpstreamAddress] {
        if text == "resolv.conf" || text.contains("/") {
            let path = text == "resolv.conf" ? "/etc/resolv.conf" : text
            let contents: String
            do { contents = try readFile(path) } catch { throw UpstreamError("--forward \(text): cannot read \(path): \(error)") }
            let found = fromResolvConf(contents)
            if found.isEmpty { throw UpstreamError("--forward \(text): \(path) has no nameserver line") }
            return found
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw UpstreamError("--forward '\(text)': a bracketed IPv6 address needs ']'") }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            var port: UInt16 = 53
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()), p > 0 else { throw UpstreamError("--forward '\(text)': bad port after ']'") }
                port = p
            }
            guard let a = UpstreamAddress(host: host, port: port), a.family == AF_INET6 else {
                throw UpstreamError("--forward '\(text)': '\(host)' is not an IPv6 address")
            }
            return [a]
        }
        if let a = UpstreamAddress(host: text) { return [a] }  // IPv4 or a bare IPv6
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, let p = UInt16(parts[1]), p > 0, let a = UpstreamAddress(host: String(parts[0]), port: p), a.family == AF_INET {
            return [a]
        }
        throw UpstreamError("--forward '\(text)' is not IP, IP:PORT, [IPv6]:PORT or resolv.conf")
    }

    /// A small text file's contents (open and read: no Foundation here).
    public static func readFile(_ path: String) throws(UpstreamError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UpstreamError(String(cString: strerror(errno))) }
        defer { _ = close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw UpstreamError(String(cString: strerror(errno))) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The address's bytes (4 or 16), network order.
    public var addressBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: family == AF_INET ? 4 : 16)
        _ = out.withUnsafeMutableBytes { inet_pton(family, host, $0.baseAddress) }
        return out
    }

    /// The `nameserver` lines of a resolv.conf (resolv.conf(5)), in order; a scoped IPv6
    /// address (`%eth0`) and lines that are not addresses are skipped.
    public static func fromResolvConf(_ contents: String) -> [UpstreamAddress] {
        var out: [UpstreamAddress] = []
        for line in contents.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            if let a = UpstreamAddress(host: String(fields[1])) { out.append(a) }
        }
        return out
    }

    /// The address as connect(2) takes it, made once: connecting (the workers'
    /// first queries, the forwarder's attempts) and checking a reply's source neither
    /// parse nor allocate.
    public struct Socket: @unchecked Sendable {
        // @unchecked: an immutable plain C struct.
        let storage: sockaddr_storage
        let length: socklen_t
        let family: Int32

        @inline(__always)
        func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
            var s = storage
            return withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
        }

        /// Whether a datagram's source (`recvfrom`) is this address: family, port and
        /// address compared (not the IPv6 flow label or scope).
        func matches(_ from: UnsafeRawPointer, length fromLength: socklen_t) -> Bool {
            guard fromLength == length else { return false }
            return withUnsafeBytes(of: storage) { mine in
                if family == AF_INET {
                    let a = mine.load(as: sockaddr_in.self)
                    let b = from.loadUnaligned(as: sockaddr_in.self)
                    return a.sin_family == b.sin_family && a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr
                }
                let a = mine.load(as: sockaddr_in6.self)
                let b = from.loadUnaligned(as: sockaddr_in6.self)
                return a.sin6_family == b.sin6_family && a.sin6_port == b.sin6_port
                    && withUnsafeBytes(of: a.sin6_addr) { x in withUnsafeBytes(of: b.sin6_addr) { y in x.elementsEqual(y) } }
            }
        }
    }

    /// The address as a `Socket`.
    var socket: Socket {
        var s = sockaddr_storage()
        let length: Int
        if family == AF_INET {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            _ = inet_pton(AF_INET, host, &sin.sin_addr)
            length = MemoryLayout<sockaddr_in>.size
            withUnsafeMutableBytes(of: &s) { d in withUnsafeBytes(of: sin) { d.copyMemory(from: $0) } }
        } else {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, host, &sin6.sin6_addr)
            length = MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &s) { d in withUnsafeBytes(of: sin6) { d.copyMemory(from: $0) } }
        }
        return Socket(storage: s, length: socklen_t(length), family: family)
    }
}

/// A `--forward` value or an upstream socket that cannot be used, said in words.
public struct UpstreamError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
