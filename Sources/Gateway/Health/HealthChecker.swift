#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import FoundationEssentials
import Logging

/// Probes every remote cluster's health-check IP through the tunnel, from this gateway's
/// own health-check IP, and says which answer: ICMP echo over a raw socket (CAP_NET_RAW),
/// or, where raw sockets are not allowed, a UDP probe that the other gateways' responders
/// echo (every gateway runs one on `--health-port`).
///
/// Semantics (gateway.md b, with shorter defaults): one probe per `interval` to each
/// target; before each probe, `lossThreshold` probes in a row without a reply turn the
/// target to `error`; the first reply turns it back to `connected` and resets the count.
/// `onChange` runs (on the checker's queue) whenever a target's status changes.
public final class HealthChecker: @unchecked Sendable {
    // @unchecked: every mutable member is touched only on `queue`.
    public enum Mode: String, Sendable, CaseIterable { case auto, icmp, udp }

    public struct Result: Equatable, Sendable {
        public enum Status: String, Sendable { case connected, error, unknown }
        public var status: Status
        public var message: String
        public var latency: LatencyRTT?
    }

    static let magic: [UInt8] = Array("SXHC".utf8)

    private let source: IPv4
    private let interval: Double
    private let lossThreshold: Int
    private let healthPort: UInt16
    private let requested: Mode
    private let logger: Logger
    private let onChange: @Sendable () -> Void
    private let queue = DispatchQueue(label: "sextant.gateway.health")
    private var probeSocket: Int32 = -1
    private var responderSocket: Int32 = -1
    private var sources: [DispatchSourceProtocol] = []
    private var timer: DispatchSourceTimer?
    /// The mode in use once started (auto resolved).
    public private(set) var mode: Mode = .auto
    private let identifier = UInt16(truncatingIfNeeded: getpid())
    private var sequence: UInt16 = 0

    private struct Target {
        var address: IPv4
        var outstanding = 0
        var status: Result.Status = .unknown
        var message = ""
        var rtt = RTTStatistics()
        var sent: [UInt16: UInt64] = [:]
    }
    private var targets: [String: Target] = [:]

    public init(source: IPv4, interval: Double, lossThreshold: Int, mode: Mode, healthPort: UInt16, logger: Logger,
                onChange: @escaping @Sendable () -> Void) {
        self.source = source
        self.interval = interval
        self.lossThreshold = lossThreshold
        self.requested = mode
        self.healthPort = healthPort
        self.logger = logger
        self.onChange = onChange
    }

    /// Opens the sockets (the responder always; the raw socket unless UDP was asked for)
    /// and starts probing. Throws when neither kind of probe can be sent.
    public func start() throws(GatewayError) {
        responderSocket = try Self.udpSocket(bound: source, port: healthPort)
        if requested != .udp {
            let s = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), Int32(IPPROTO_ICMP))
            if s >= 0 {
                var a = Self.address(source, port: 0)
                _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                probeSocket = s
                mode = .icmp
            } else if requested == .icmp {
                throw GatewayError("ICMP probes need a raw socket: \(String(cString: strerror(errno))) (CAP_NET_RAW); or --health-probe udp", errno: errno)
            } else {
                logger.notice("no raw socket for ICMP probes; probing with UDP", metadata: ["error": "\(String(cString: strerror(errno)))"])
            }
        }
        if probeSocket < 0 {
            probeSocket = try Self.udpSocket(bound: source, port: 0)
            mode = .udp
        }
        for fd in [probeSocket, responderSocket] {
            let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            s.setEventHandler { [unowned self] in fd == self.responderSocket ? self.answerProbes() : self.readReplies() }
            s.setCancelHandler { close(fd) }
            s.resume()
            sources.append(s)
        }
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(5))
        t.setEventHandler { [unowned self] in self.tick() }
        t.resume()
        timer = t
        logger.info("health checks", metadata: ["probe": "\(mode.rawValue)", "interval": "\(interval)s", "loss-threshold": "\(lossThreshold)",
                                                "source": "\(source)", "udp-responder-port": "\(healthPort)"])
    }

    public func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
            for s in sources { s.cancel() }
            sources = []
        }
    }

    /// The clusters to probe and their health-check IPs; others are forgotten.
    public func setTargets(_ wanted: [String: IPv4]) {
        queue.async { [self] in
            for (id, ip) in wanted where targets[id]?.address != ip { targets[id] = Target(address: ip) }
            for id in targets.keys where wanted[id] == nil { targets[id] = nil }
        }
    }

    public func results() -> [String: Result] {
        queue.sync {
            targets.mapValues { Result(status: $0.status, message: $0.message, latency: $0.rtt.latency) }
        }
    }

    private func tick() {
        var changed = false
        let now = DispatchTime.now().uptimeNanoseconds
        for id in targets.keys.sorted() {
            guard var t = targets[id] else { continue }
            if t.outstanding >= lossThreshold && t.status != .error {
                t.status = .error
                t.message = "Failed to successfully ping the remote endpoint IP \"\(t.address)\""
                changed = true
            }
            sequence &+= 1
            t.sent = t.sent.filter { now - $0.value < UInt64(Double(lossThreshold + 2) * interval * 1e9) }
            t.sent[sequence] = now
            t.outstanding += 1
            send(to: t.address, sequence: sequence)
            targets[id] = t
        }
        if changed { onChange() }
    }

    private func send(to ip: IPv4, sequence seq: UInt16) {
        var packet: [UInt8]
        var to: sockaddr_in
        if mode == .icmp {
            packet = [8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 255), UInt8(seq >> 8), UInt8(seq & 255)] + Self.magic
            let sum = Self.checksum(packet)
            packet[2] = UInt8(sum >> 8)
            packet[3] = UInt8(sum & 255)
            to = Self.address(ip, port: 0)
        } else {
            packet = Self.magic + [UInt8(identifier >> 8), UInt8(identifier & 255), UInt8(seq >> 8), UInt8(seq & 255)]
            to = Self.address(ip, port: healthPort)
        }
        _ = packet.withUnsafeBytes { raw in
            withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(probeSocket, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Replies: ICMP echo replies (after the IP header) or our UDP probes echoed.
    private func readReplies() {
        var buf = [UInt8](repeating: 0, count: 1500)
        var changed = false
        while true {
            let (n, from, _) = Self.receive(probeSocket, into: &buf)
            if n <= 0 { break }
            var body = buf[0..<n]
            if mode == .icmp {
                let ihl = Int(body[0] & 0x0f) * 4
                guard n >= ihl + 8 else { continue }
                body = body[ihl...]
                guard body[body.startIndex] == 0, body[body.startIndex + 1] == 0 else { continue }  // echo reply
                body = body[(body.startIndex + 4)...]
            } else {
                guard n >= 8, Array(body.prefix(4)) == Self.magic else { continue }
                body = body[(body.startIndex + 4)...]
            }
            let i = body.startIndex
            guard body.count >= 4, UInt16(body[i]) << 8 | UInt16(body[i + 1]) == identifier else { continue }
            let seq = UInt16(body[i + 2]) << 8 | UInt16(body[i + 3])
            let ip = IPv4(UInt32(bigEndian: from.sin_addr.s_addr))
            let now = DispatchTime.now().uptimeNanoseconds
            for (id, var t) in targets where t.address == ip {
                guard let sentAt = t.sent.removeValue(forKey: seq) else { continue }
                t.rtt.add(Int64(now - sentAt))
                t.outstanding = 0
                if t.status != .connected { changed = true }
                t.status = .connected
                t.message = ""
                targets[id] = t
            }
        }
        if changed { onChange() }
    }

    /// The UDP responder: echoes every probe that carries the magic back to its sender.
    private func answerProbes() {
        var buf = [UInt8](repeating: 0, count: 512)
        while true {
            var (n, from, len) = Self.receive(responderSocket, into: &buf)
            if n <= 0 { break }
            guard n >= 8, Array(buf.prefix(4)) == Self.magic else { continue }
            _ = buf.withUnsafeBytes { raw in
                withUnsafePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(responderSocket, raw.baseAddress, n, Int32(MSG_DONTWAIT), $0, len) }
                }
            }
        }
    }

    /// One datagram without blocking: its length (≤ 0: none), sender and address length.
    static func receive(_ fd: Int32, into buf: inout [UInt8]) -> (Int, sockaddr_in, socklen_t) {
        var from = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buf.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, &len) }
            }
        }
        return (n, from, len)
    }

    static func udpSocket(bound ip: IPv4, port: UInt16) throws(GatewayError) -> Int32 {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard s >= 0 else { throw GatewayError("UDP socket: \(String(cString: strerror(errno)))", errno: errno) }
        var on: Int32 = 1
        _ = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var a = address(ip, port: port)
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else {
            let e = errno
            close(s)
            throw GatewayError("cannot bind the health probe socket to \(ip):\(port): \(String(cString: strerror(e)))", errno: e)
        }
        return s
    }

    static func address(_ ip: IPv4, port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = ip.value.bigEndian
        return a
    }

    /// The Internet checksum (RFC 1071).
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
