#if canImport(Glibc)
import Glibc
#endif

/// The cross-platform WireGuard configuration protocol (wireguard.com/xplatform) on
/// wireguard-go's UNIX socket, `/var/run/wireguard/<interface>.sock`: `get=1` reads the
/// device and its peers, `set=1` changes them in one transaction. Keys are hex here.
public struct WireGuardUAPI: Sendable {
    public struct Peer: Equatable, Sendable {
        public var publicKey: WireGuardKey
        public var endpoint: String?
        public var allowedIPs: [String] = []
        public var lastHandshake: Int64 = 0
        public var rxBytes: UInt64 = 0
        public var txBytes: UInt64 = 0
        public var keepalive: Int = 0
        public var hasPresharedKey = false
    }

    public struct Device: Sendable {
        public var privateKey: WireGuardKey?
        public var listenPort: UInt16 = 0
        public var peers: [Peer] = []
    }

    public let socketPath: String

    public init(interface: String, directory: String = "/var/run/wireguard") {
        socketPath = directory + "/" + interface + ".sock"
    }

    public func get() throws(GatewayError) -> Device {
        let reply = try exchange("get=1\n\n")
        var device = Device()
        for line in reply.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq], value = String(line[line.index(after: eq)...])
            switch key {
            case "private_key": device.privateKey = WireGuardKey(hex: value)
            case "listen_port": device.listenPort = UInt16(value) ?? 0
            case "public_key":
                if let k = WireGuardKey(hex: value) { device.peers.append(Peer(publicKey: k)) }
            case "endpoint": device.peers.mutateLast { $0.endpoint = value }
            case "allowed_ip": device.peers.mutateLast { $0.allowedIPs.append(value) }
            case "last_handshake_time_sec": device.peers.mutateLast { $0.lastHandshake = Int64(value) ?? 0 }
            case "rx_bytes": device.peers.mutateLast { $0.rxBytes = UInt64(value) ?? 0 }
            case "tx_bytes": device.peers.mutateLast { $0.txBytes = UInt64(value) ?? 0 }
            case "persistent_keepalive_interval": device.peers.mutateLast { $0.keepalive = Int(value) ?? 0 }
            case "preshared_key": device.peers.mutateLast { $0.hasPresharedKey = value != String(repeating: "0", count: 64) }
            case "errno":
                if value != "0" { throw GatewayError("WireGuard \(socketPath): get answered errno=\(value)") }
            default: break
            }
        }
        return device
    }

    /// Sends `set=1` with these lines (without the leading `set=1`); throws on errno≠0.
    public func set(_ lines: [String]) throws(GatewayError) {
        let reply = try exchange("set=1\n" + lines.map { $0 + "\n" }.joined() + "\n")
        for line in reply.split(separator: "\n") where line.hasPrefix("errno=") {
            let code = line.dropFirst(6)
            if code != "0" {
                let n = Int32(code).map { abs($0) } ?? 0
                throw GatewayError("WireGuard \(socketPath): set answered errno=\(code) (\(String(cString: strerror(n))))", errno: n)
            }
            return
        }
        throw GatewayError("WireGuard \(socketPath): set got no errno line")
    }

    /// One request, its reply up to the empty line that ends it.
    private func exchange(_ request: String) throws(GatewayError) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw GatewayError("unix socket: \(String(cString: strerror(errno)))", errno: errno) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw GatewayError("socket path too long: \(socketPath)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.enumerated() { raw[i] = b }
            raw[path.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            throw GatewayError("WireGuard \(socketPath): connect: \(String(cString: strerror(errno)))", errno: errno)
        }
        let out = Array(request.utf8)
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw GatewayError("WireGuard \(socketPath): write: \(String(cString: strerror(errno)))", errno: errno) }
            sent += n
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while !(reply.count >= 2 && reply[reply.count - 1] == 10 && reply[reply.count - 2] == 10) {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            reply += chunk[0..<n]
            if reply.count > 1 << 22 { throw GatewayError("WireGuard \(socketPath): reply over 4 MiB") }
        }
        return String(decoding: reply, as: UTF8.self)
    }
}

extension Array {
    mutating func mutateLast(_ body: (inout Element) -> Void) {
        guard !isEmpty else { return }
        body(&self[count - 1])
    }
}
