#if canImport(Glibc)
import Glibc
#endif
import Atomics
import DNSWire

/// One UDP worker's way to hand a cache miss to the forwarder, without blocking and
/// without allocating: the worker sends the first upstream query itself (its own
/// connected socket, a random ID, to the upstream the forwarder currently prefers), then
/// hands the socket, the client's address and the query to the forwarder's thread in
/// one non-blocking datagram on a socket pair. The forwarder's wake-up then overlaps the
/// upstream's round trip instead of adding to it. When the hand-over queue is full the
/// miss is dropped and counted, and the client asks again.
public final class ForwardIntake {
    private let fd: Int32
    private let statistics: ForwarderStatistics
    private let upstreams: [UpstreamAddress.Socket]
    private let preferred: ManagedAtomic<Int>
    private let header: UnsafeMutableRawPointer
    private let lowered: UnsafeMutableRawBufferPointer
    private let upstreamQuery: UnsafeMutableRawPointer
    private let iov: UnsafeMutablePointer<iovec>
    private let message: UnsafeMutablePointer<msghdr>
    /// Questions this worker sent upstream lately (key hash and when, in ms), so that a
    /// burst of clients asking one new name costs one upstream query per worker, not one
    /// per client (the forwarder joins the rest to it). Direct-mapped, worker-owned.
    private let recent: UnsafeMutablePointer<(hash: UInt64, atMs: UInt64)>
    static let recentSlots = 256
    private let recentWindowMs: UInt64
    /// In flight at most: past it the worker sends nothing (the forwarder drops the miss).
    private let maxPending: Int

    init(fd: Int32, statistics: ForwarderStatistics, upstreams: [UpstreamAddress.Socket], preferred: ManagedAtomic<Int>,
         timeoutMs: Int, maxPending: Int) {
        self.fd = fd
        recentWindowMs = UInt64(timeoutMs)
        self.maxPending = maxPending
        recent = .allocate(capacity: Self.recentSlots)
        recent.initialize(repeating: (0, 0), count: Self.recentSlots)
        self.statistics = statistics
        self.upstreams = upstreams
        self.preferred = preferred
        header = .allocate(byteCount: Forwarder.Intake.size, alignment: 16)
        header.initializeMemory(as: UInt8.self, repeating: 0, count: Forwarder.Intake.size)
        lowered = .allocate(byteCount: Wire.Name.maxLength + 16, alignment: 16)
        upstreamQuery = .allocate(byteCount: UpstreamQuery.maxSize, alignment: 16)
        iov = .allocate(capacity: 2)
        iov.initialize(repeating: iovec(), count: 2)
        message = .allocate(capacity: 1)
        message.initialize(to: msghdr())
        iov[0] = iovec(iov_base: header, iov_len: Forwarder.Intake.size)
        message.pointee.msg_iov = iov
        message.pointee.msg_iovlen = 2
    }

    deinit {
        recent.deallocate()
        header.deallocate()
        lowered.deallocate()
        upstreamQuery.deallocate()
        iov.deallocate()
        message.deallocate()
    }

    /// Hands `query` over; its reply will be sent on `replyFD` to `client`.
    @inline(__always)
    public func submit(query: UnsafeRawBufferPointer, replyFD: Int32, client: UnsafeRawPointer, clientLength: socklen_t) -> Bool {
        let length = min(Int(clientLength), MemoryLayout<sockaddr_storage>.size)
        header.storeBytes(of: replyFD, toByteOffset: Forwarder.Intake.replyFD, as: Int32.self)
        header.storeBytes(of: UInt32(length), toByteOffset: Forwarder.Intake.clientLength, as: UInt32.self)
        (header + Forwarder.Intake.client).copyMemory(from: client, byteCount: length)
        header.storeBytes(of: sendFirst(query), toByteOffset: Forwarder.Intake.upstreamFD, as: Int32.self)
        iov[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: query.baseAddress), iov_len: query.count)
        if sendmsg(fd, message, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) < 0 {
            let sent = header.load(fromByteOffset: Forwarder.Intake.upstreamFD, as: Int32.self)
            if sent >= 0 { _ = close(sent) }
            statistics.intakeDropped.wrappingIncrement(ordering: .relaxed)
            return false
        }
        return true
    }

    /// Sends the first upstream query on a socket of its own; its descriptor, or -1 when
    /// the forwarder is left to do it (no upstream preferred, a socket error).
    @inline(__always)
    private func sendFirst(_ query: UnsafeRawBufferPointer) -> Int32 {
        let u = preferred.load(ordering: .relaxed)
        guard u >= 0, u < upstreams.count,
              let question = try? QueryParser.question(in: query, lowercasedInto: lowered),
              let edns = CachedReply.edns(in: query, after: question)
        else { return -1 }
        guard statistics.pending.load(ordering: .relaxed) < maxPending else { return -1 }
        let bits = AnswerCache.keyBits(flags: query.u16(at: Wire.Header.flags), edns: edns)
        let key = AnswerCache.keyHash(nameHash: question.hash, type: question.type, bits: bits)
        let nowMs = ForwarderClock.nowMs()
        let slot = recent + Int(key & UInt64(Self.recentSlots - 1))
        if slot.pointee.hash == key && nowMs &- slot.pointee.atMs < recentWindowMs { return -1 }
        slot.pointee = (key, nowMs)
        let id = UInt16(truncatingIfNeeded: arc4random())
        let n = UpstreamQuery.write(id: id, name: UnsafeRawPointer(lowered.baseAddress.unsafelyUnwrapped), nameLength: question.nameLength,
                                    type: question.type.rawValue, dnssec: bits & 1 != 0, checkingDisabled: bits & 2 != 0, into: upstreamQuery)
        let target = upstreams[u]
        let s = socket(target.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return -1 }
        let ok = target.withSockaddr { connect(s, $0, $1) } == 0 && send(s, upstreamQuery, n, Int32(MSG_NOSIGNAL)) == n
        guard ok else {
            _ = close(s)
            return -1
        }
        header.storeBytes(of: Int32(u), toByteOffset: Forwarder.Intake.upstream, as: Int32.self)
        header.storeBytes(of: id, toByteOffset: Forwarder.Intake.id, as: UInt16.self)
        header.storeBytes(of: ForwarderClock.nowNs(), toByteOffset: Forwarder.Intake.sentAt, as: UInt64.self)
        return s
    }
}
