#if canImport(Glibc)
import Glibc
#endif
import CNetShim

/// Socket set-up calls, typed and with errors that name the call. Everything here runs
/// at start-up; nothing is on the per-packet path.
enum Socket {
    static func make(_ family: ListenAddress.Family, _ type: Int32) throws(SystemError) -> Int32 {
        let af = family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(af, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        if family == .ipv6 {
            // [::1] means IPv6 only; IPv4 gets its own --listen.
            try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, "setsockopt(IPV6_V6ONLY)")
        }
        return fd
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ what: String) throws(SystemError) {
        var v = value
        guard setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 else { throw SystemError(what) }
    }

    /// Clears O_NONBLOCK: a thread that owns the socket waits in the receive call itself.
    static func setBlocking(_ fd: Int32) throws(SystemError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else { throw SystemError("fcntl(O_NONBLOCK)") }
    }

    static func bind(_ fd: Int32, _ address: ListenAddress) throws(SystemError) {
        let r = address.withSockAddr { Glibc.bind(fd, $0, $1) }
        guard r == 0 else { throw SystemError("bind \(address)") }
    }

    /// The port the kernel picked for a socket bound to port 0.
    static func boundPort(_ fd: Int32) throws(SystemError) -> UInt16 {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &ss) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard r == 0 else { throw SystemError("getsockname") }
        if Int32(ss.ss_family) == AF_INET {
            return withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        }
        return withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
    }

    /// Raises the soft open-file limit to the hard one, so the TCP connection limit, not
    /// the default 1024 descriptors, is what bounds connections.
    static func raiseFileLimit() {
        var lim = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0, lim.rlim_cur < lim.rlim_max else { return }
        lim.rlim_cur = lim.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
    }
}
