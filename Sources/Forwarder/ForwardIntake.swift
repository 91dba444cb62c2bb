#if canImport(Glibc)
import Glibc
#endif

/// One UDP worker's way to hand a cache miss to the forwarder: one non-blocking
/// datagram on a socket pair (the reply socket, the client's address, the query), with
/// buffers the worker owns. Never blocks and never allocates: when the forwarder is too
/// far behind, the miss is dropped and counted, and the client asks again.
public final class ForwardIntake {
    private let fd: Int32
    private let statistics: ForwarderStatistics
    private let header: UnsafeMutableRawPointer
    private let iov: UnsafeMutablePointer<iovec>
    private let message: UnsafeMutablePointer<msghdr>

    init(fd: Int32, statistics: ForwarderStatistics) {
        self.fd = fd
        self.statistics = statistics
        header = .allocate(byteCount: Forwarder.intakeHeader, alignment: 16)
        header.initializeMemory(as: UInt8.self, repeating: 0, count: Forwarder.intakeHeader)
        iov = .allocate(capacity: 2)
        iov.initialize(repeating: iovec(), count: 2)
        message = .allocate(capacity: 1)
        message.initialize(to: msghdr())
        iov[0] = iovec(iov_base: header, iov_len: Forwarder.intakeHeader)
        message.pointee.msg_iov = iov
        message.pointee.msg_iovlen = 2
    }

    deinit {
        header.deallocate()
        iov.deallocate()
        message.deallocate()
    }

    /// Hands `query` over; its reply will be sent on `replyFD` to `client`.
    @inline(__always)
    public func submit(query: UnsafeRawBufferPointer, replyFD: Int32, client: UnsafeRawPointer, clientLength: socklen_t) -> Bool {
        let length = min(Int(clientLength), MemoryLayout<sockaddr_storage>.size)
        header.storeBytes(of: replyFD, as: Int32.self)
        header.storeBytes(of: UInt32(length), toByteOffset: 4, as: UInt32.self)
        (header + 8).copyMemory(from: client, byteCount: length)
        iov[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: query.baseAddress), iov_len: query.count)
        if sendmsg(fd, message, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) < 0 {
            statistics.intakeDropped.wrappingIncrement(ordering: .relaxed)
            return false
        }
        return true
    }
}
