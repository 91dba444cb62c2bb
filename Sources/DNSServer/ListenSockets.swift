#if canImport(Glibc)
import Glibc
#endif

/// The listen addresses' sockets, bound before the server has anything to answer with.
///
/// `sextant serve` binds them before it reads the zones folder, as Knot DNS and NSD bind
/// before they load zones: a port in use is reported at once rather than after seconds
/// of reading, and a query sent while the data loads waits in the socket's queue and is
/// answered when the workers start instead of being refused (an ICMP port unreachable a
/// restarted sidecar's clients would see as a failed lookup). `Server.start(on:)` takes
/// them over.
public final class ListenSockets {
    /// One listen address's sockets: a TCP listener and `workers` UDP sockets sharing
    /// the port through SO_REUSEPORT.
    struct Group {
        var address: ListenAddress
        var tcp: Int32
        var udp: [Int32]
    }

    private var groups: [Group]

    /// The bound addresses (port 0 replaced by the port the kernel chose, the same for
    /// UDP and TCP).
    public var addresses: [ListenAddress] { groups.map(\.address) }

    /// Binds every address; on an error closes what was bound and throws it.
    public init(listen: [ListenAddress], workers: Int) throws(SystemError) {
        Socket.raiseFileLimit()
        groups = []
        for requested in listen {
            var attempt = 0
            while true {
                do {
                    groups.append(try Self.bind(requested, workers: workers))
                    break
                } catch let e where requested.port == 0 && e.errno == EADDRINUSE && attempt < 20 {
                    // The TCP port the kernel picked is taken for UDP: pick again.
                    attempt += 1
                } catch {
                    close()
                    throw error
                }
            }
        }
    }

    /// The groups, handed over once: the server owns (and closes) the descriptors.
    func adopt() -> [Group] {
        defer { groups = [] }
        return groups
    }

    /// Sockets no server took are closed with their owner.
    deinit { close() }

    /// Closes sockets no server took (a start-up that failed after binding).
    public func close() {
        for g in adopt() {
            _ = Glibc.close(g.tcp)
            for u in g.udp { _ = Glibc.close(u) }
        }
    }

    private static func bind(_ requested: ListenAddress, workers: Int) throws(SystemError) -> Group {
        var address = requested
        let tcp = try Socket.make(address.family, Int32(SOCK_STREAM.rawValue))
        var udps: [Int32] = []
        do throws(SystemError) {
            try Socket.setOption(tcp, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)")
            try Socket.bind(tcp, address)
            address.port = try Socket.boundPort(tcp)
            guard listen(tcp, 1024) == 0 else { throw SystemError("listen \(address)") }
            for _ in 0..<max(1, workers) {
                let u = try Socket.make(address.family, Int32(SOCK_DGRAM.rawValue))
                udps.append(u)
                try Socket.setOption(u, SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)")
                try Socket.setOption(u, SOL_SOCKET, SO_RCVBUF, 4 << 20, "setsockopt(SO_RCVBUF)")
                try Socket.bind(u, address)
            }
        } catch {
            _ = Glibc.close(tcp)
            for u in udps { _ = Glibc.close(u) }
            throw error
        }
        return Group(address: address, tcp: tcp, udp: udps)
    }
}
