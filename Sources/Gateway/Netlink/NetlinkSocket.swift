#if canImport(Glibc)
import Glibc
#endif

/// A NETLINK_ROUTE socket, one request at a time: sends a message and reads the kernel's
/// acknowledgement or the dump it answers with.
///
/// The kernel's errors come back as `GatewayError` with their errno, so the reconciler
/// can take EEXIST on an add and ESRCH/ENOENT on a delete as "already so".
final class NetlinkSocket {
    private let fd: Int32
    private var sequence: UInt32 = 1
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init() throws(GatewayError) {
        let s = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        guard s >= 0 else { throw GatewayError("netlink socket: \(String(cString: strerror(errno)))", errno: errno) }
        fd = s
        // Dumps of a large table may exceed the default receive buffer.
        var size: Int32 = 1 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// Sends a request that asks for an acknowledgement; throws the kernel's error.
    func perform(_ message: NetlinkMessage, what: @autoclosure () -> String) throws(GatewayError) {
        var m = message
        let seq = next()
        let bytes = m.finish(sequence: seq)
        try send(bytes, what: what())
        while true {
            for reply in try receive(what: what()) {
                if reply.type == RTNetlink.error {
                    let code = Int32(bitPattern: reply.u32(0))
                    if code == 0 { return }
                    throw GatewayError("\(what()): \(String(cString: strerror(-code)))", errno: -code)
                }
            }
        }
    }

    /// Sends a dump request; returns every message up to NLMSG_DONE.
    func dump(_ message: NetlinkMessage, what: @autoclosure () -> String) throws(GatewayError) -> [NetlinkReply] {
        var m = message
        let bytes = m.finish(sequence: next())
        try send(bytes, what: what())
        var out: [NetlinkReply] = []
        while true {
            for reply in try receive(what: what()) {
                if reply.type == RTNetlink.done { return out }
                if reply.type == RTNetlink.error {
                    let code = Int32(bitPattern: reply.u32(0))
                    if code == 0 { return out }
                    throw GatewayError("\(what()): \(String(cString: strerror(-code)))", errno: -code)
                }
                out.append(reply)
            }
        }
    }

    private func next() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    private func send(_ bytes: [UInt8], what: String) throws(GatewayError) {
        while true {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            if n == bytes.count { return }
            if n < 0 && errno == EINTR { continue }
            throw GatewayError("\(what): netlink send: \(String(cString: strerror(errno)))", errno: errno)
        }
    }

    /// One datagram from the kernel, split into its messages.
    private func receive(what: String) throws(GatewayError) -> [NetlinkReply] {
        var n = 0
        while true {
            n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { break }
            if errno == EINTR { continue }
            throw GatewayError("\(what): netlink receive: \(String(cString: strerror(errno)))", errno: errno)
        }
        var out: [NetlinkReply] = []
        var i = 0
        while i + RTNetlink.headerSize <= n {
            let len = Int(NetlinkReply.u32(buffer[...], at: i))
            guard len >= RTNetlink.headerSize, i + len <= n else { break }
            let type = UInt16(buffer[i + 4]) | UInt16(buffer[i + 5]) << 8
            out.append(NetlinkReply(type: type, body: buffer[(i + RTNetlink.headerSize)..<(i + len)]))
            i += (len + 3) & ~3
        }
        return out
    }
}
