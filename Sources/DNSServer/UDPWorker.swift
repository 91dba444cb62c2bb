#if canImport(Glibc)
import Glibc
#endif
import CNetShim
import AnswerTable
import DNSWire
import Forwarder
import Locking
import Dispatch
import FoundationEssentials
import Logging
import Synchronization

/// One UDP socket (SO_REUSEPORT) with its own buffers, drained in recvmmsg batches and
/// answered in sendmmsg batches.
///
/// The worker owns everything the packet path touches; the only shared memory it reads
/// is the answer table snapshot, refreshed once per batch.
final class UDPWorker: @unchecked Sendable {
    // @unchecked: all mutable state is touched only by the one thread that reads the
    // socket: `queue` (the read source's handler; Dispatch's setEventHandler is not
    // @Sendable-checked) or the worker's own thread.

    static let batch = 64
    /// Queries larger than this are cut (MSG_TRUNC) and then fail to parse: FORMERR.
    static let receiveSize = 4096
    static let sendSize = 4096

    let fd: Int32
    let queue: DispatchQueue
    let io: UDPIO
    private var source: DispatchSourceRead?
    private let stopped = Atomic<Bool>(false)
    private var reader: SnapshotReader
    private let logger: Logger

    private let rxBuffers: UnsafeMutableRawBufferPointer
    private let txBuffers: UnsafeMutableRawBufferPointer
    private let scratch: UnsafeMutableRawBufferPointer
    /// `scratch`'s answer space, for the questions `warm` read (`Responder.answerSpace`).
    private let answerSpace: UnsafeMutableRawBufferPointer
    private let names: UnsafeMutableBufferPointer<sockaddr_storage>
    private let rxIov: UnsafeMutableBufferPointer<iovec>
    private let txIov: UnsafeMutableBufferPointer<iovec>
    private let rxMsgs: UnsafeMutableBufferPointer<cns_mmsghdr>
    private let txMsgs: UnsafeMutableBufferPointer<cns_mmsghdr>
    /// Per active probe of a batch: where its lookup will read (`warm`).
    private let probes: UnsafeMutableBufferPointer<AnswerTable.WarmProbe>
    /// Per datagram of a batch: its question as `warm` read it (nil: not read there, the
    /// responder reads it and answers any error). Its lower-cased name lies in the
    /// datagram's reply buffer, where the reply's question goes.
    private let questions: UnsafeMutableBufferPointer<Question?>

    /// Datagrams received, replies sent, send failures: kept by the worker, not exported
    /// (`/metrics` reads `queries`).
    private(set) var counters = Counters()
    /// Replies by type and rcode, truncated replies, dropped messages: this worker
    /// writes them, a scrape sums them.
    let queries = QueryCounters(shared: false)

    struct Counters {
        var received = 0
        var answered = 0
        var sendErrors = 0
    }

    /// `--allow` and `--rrl`; nil when off (one branch per datagram then).
    private let allow: SourceFilter?
    private let limiter: ResponseRateLimiter?
    /// Replies over the rate so far: every `slip`-th goes out truncated.
    private var slipCount = 0

    /// `--forward`: the cache the worker answers from and its hand-over for misses.
    private let forwardCache: AnswerCache?
    private let intake: ForwardIntake?

    init(fd: Int32, index: Int, io: UDPIO, snapshots: SnapshotBox, allow: SourceFilter? = nil, limiter: ResponseRateLimiter? = nil,
         forwarder: Forwarder? = nil, logger: Logger) {
        self.fd = fd
        forwardCache = forwarder?.cache
        intake = forwarder?.makeIntake()
        self.allow = allow
        self.limiter = limiter
        self.io = io
        self.logger = logger
        queue = DispatchQueue(label: "sextant.udp.\(index)", qos: .userInteractive)
        reader = snapshots.reader()
        let n = Self.batch
        rxBuffers = .allocate(byteCount: n * Self.receiveSize, alignment: 16)
        txBuffers = .allocate(byteCount: n * Self.sendSize, alignment: 16)
        scratch = .allocate(byteCount: Responder.scratchSize, alignment: 16)
        answerSpace = Responder.answerSpace(in: scratch)
        names = .allocate(capacity: n)
        names.initialize(repeating: sockaddr_storage())
        rxIov = .allocate(capacity: n)
        txIov = .allocate(capacity: n)
        rxMsgs = .allocate(capacity: n)
        txMsgs = .allocate(capacity: n)
        probes = .allocate(capacity: n)  // trivial values, written before they are read
        questions = .allocate(capacity: n)
        questions.initialize(repeating: nil)
        for i in 0..<n {
            rxIov[i] = iovec(iov_base: rxBuffers.baseAddress! + i * Self.receiveSize, iov_len: Self.receiveSize)
            txIov[i] = iovec(iov_base: replyBuffer(i), iov_len: 0)
            rxMsgs[i] = cns_mmsghdr()
            txMsgs[i] = cns_mmsghdr()
        }
        prepareReceive(n)
    }

    deinit {
        rxBuffers.deallocate()
        txBuffers.deallocate()
        scratch.deallocate()
        names.deallocate()
        rxIov.deallocate()
        txIov.deallocate()
        rxMsgs.deallocate()
        txMsgs.deallocate()
        probes.deallocate()
        questions.deallocate()
    }

    func start() {
        if io == .thread {
            // A blocking socket (sockets are made non-blocking; recvmmsg would return
            // EAGAIN at once and the loop would spin); the timeout only bounds how late
            // `stop()` is noticed.
            do {
                try Socket.setBlocking(fd)
                var tv = timeval(tv_sec: 0, tv_usec: 500_000)
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                let r = OSThread.start(name: "sextant udp") { [self] in self.loop() }
                if r == 0 { return }
                logger.warning("UDP worker falls back to a Dispatch source: pthread_create error \(r)")
            } catch {
                logger.warning("UDP worker falls back to a Dispatch source: \(error)")
            }
        }
        let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        s.setEventHandler { [unowned self] in self.drain() }
        s.setCancelHandler { [self] in
            finalDrain()
            _ = close(fd)
        }
        source = s
        s.resume()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        source?.cancel()
    }

    /// The dedicated-thread variant: block in recvmmsg until at least one datagram
    /// (MSG_WAITFORONE), answer the batch, repeat. No event loop between batches.
    private func loop() {
        while !stopped.load(ordering: .relaxed) {
            let got = cns_recvmmsg(fd, rxMsgs.baseAddress!, UInt32(Self.batch), Int32(MSG_WAITFORONE))
            if got <= 0 { continue }  // timeout (EAGAIN) or EINTR: check the stop flag
            // The snapshot as of now, not as of before the wait: a change published
            // while the thread slept is served from the first datagram after it.
            answer(Int(got), table: reader.get())
            prepareReceive(Int(got))
        }
        finalDrain()
        _ = close(fd)
    }

    /// On stop: what already waits in the socket's buffer is answered before it closes
    /// (a bounded number of batches: the other workers' sockets keep receiving).
    private func finalDrain() {
        for _ in 0..<Self.finalBatches {
            let got = retryingEINTR { cns_recvmmsg(fd, rxMsgs.baseAddress!, UInt32(Self.batch), Int32(MSG_DONTWAIT)) }
            if got <= 0 { return }
            answer(Int(got), table: reader.get())
            prepareReceive(Int(got))
        }
    }

    static let finalBatches = 16

    /// The Dispatch-source variant: reads batches until the socket is empty, answering
    /// each batch before the next.
    private func drain() {
        let table = reader.get()
        let n = Self.batch
        while true {
            let got = retryingEINTR { cns_recvmmsg(fd, rxMsgs.baseAddress!, UInt32(n), Int32(MSG_DONTWAIT)) }
            if got <= 0 { return }
            answer(Int(got), table: table)
            prepareReceive(Int(got))
            if Int(got) < n { return }
        }
    }

    /// Resets the receive headers the kernel wrote to (the first `used`): a batch that
    /// brought one datagram costs one header, not the whole batch's.
    @inline(__always)
    private func prepareReceive(_ used: Int) {
        for i in 0..<used {
                rxMsgs[i].msg_hdr = msghdr(
                    msg_name: UnsafeMutableRawPointer(names.baseAddress! + i),
                    msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                    msg_iov: rxIov.baseAddress! + i, msg_iovlen: 1,
                    msg_control: nil, msg_controllen: 0, msg_flags: 0)
                rxMsgs[i].msg_len = 0
        }
    }

    /// Brings the memory the batch's lookups will read into the cache, one step for all
    /// datagrams at a time (`AnswerTable.WarmProbe`): each lookup would otherwise wait
    /// for three or four cache misses in a row, one query after the other; here the
    /// misses of the whole batch are in flight together. The questions read here are
    /// the ones `answer` replies to (`questions`): each is parsed once.
    @inline(__always)
    private func warm(_ got: Int, table: AnswerTable) {
        var active = 0
        for i in 0..<got {
            questions[i] = nil
            let query = UnsafeRawBufferPointer(start: rxIov[i].iov_base, count: Int(rxMsgs[i].msg_len))
            let name = Self.loweredName(inReply: replyBuffer(i))
            guard query.count >= Wire.Header.size,
                  let question = try? QueryParser.question(in: query, lowercasedInto: name)
            else { continue }
            questions[i] = question
            guard let probe = AnswerTable.WarmProbe(table: table, name: UnsafeRawBufferPointer(name), length: question.nameLength,
                                                    hash: question.hash, type: question.type)
            else {
                if let cache = forwardCache, !table.servesZone(of: UnsafeRawBufferPointer(name), length: question.nameLength) {
                    cache.prefetch(nameHash: question.hash, type: question.type)
                }
                continue
            }
            (probes.baseAddress! + active).initialize(to: probe)
            active += 1
        }
        var step = 0
        while active > 0 && step < AnswerTable.WarmProbe.steps {
            var j = 0
            while j < active {
                guard let lines = probes[j].next() else {
                    // Through: the last active probe takes its place.
                    active -= 1
                    probes[j] = probes[active]
                    continue
                }
                if let base = lines.baseAddress, lines.count > 0 {
                    var o = 0
                    while o < lines.count {
                        cns_prefetch(base + o)
                        o &+= 64
                    }
                    cns_prefetch(base + (lines.count - 1))
                }
                j += 1
            }
            step += 1
        }
    }

    /// The reply buffer of a batch's `i`-th datagram (`sendSize` bytes).
    @inline(__always)
    private func replyBuffer(_ i: Int) -> UnsafeMutableRawPointer {
        txBuffers.baseAddress! + i * Self.sendSize
    }

    /// Where `warm` writes a datagram's lower-cased question name: in its reply buffer,
    /// where the reply's question goes (the responder copies the question as received
    /// over it once the lookup is done).
    @inline(__always)
    static func loweredName(inReply reply: UnsafeMutableRawPointer) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: reply + Wire.Header.size, count: sendSize - Wire.Header.size)
    }

    /// Answers the `got` datagrams received and sends the replies in one sendmmsg.
    @inline(__always)
    private func answer(_ got: Int, table: AnswerTable) {
        counters.received &+= got
        let warmed = got > 1
        if warmed { warm(got, table: table) }
        var out = 0
        let second = limiter == nil ? 0 : ResponseRateLimiter.second()
        let forwarding = intake == nil ? nil : Responder.Forwarding(cache: forwardCache, nowMs: ForwarderClock.nowMs())
        for i in 0..<got {
            let query = UnsafeRawBufferPointer(start: rxIov[i].iov_base, count: Int(rxMsgs[i].msg_len))
            // Datagram i's reply buffer is the i-th (its question's name is there when warmed).
            let replyStart = replyBuffer(i)
            let reply = UnsafeMutableRawBufferPointer(start: replyStart, count: Self.sendSize)
            let sender = UnsafeRawPointer(names.baseAddress! + i)
            var len: Int
            if let a = allow, !a.allows(sender) {
                len = Responder.refuse(to: query, scratch: scratch, out: reply)
            } else if warmed, let question = questions[i] {
                len = Responder.respond(to: query, question: question, name: UnsafeRawBufferPointer(Self.loweredName(inReply: replyStart)),
                                        table: table, transport: .udp,
                                        answerSpace: answerSpace, out: reply, forwarding: forwarding)
            } else {
                len = Responder.respond(to: query, table: table, transport: .udp, scratch: scratch, out: reply, forwarding: forwarding)
            }
            if len == Responder.forwardMarker {
                // Not in the zones nor the cache: the forwarder replies later, from this socket.
                if let intake { _ = intake.submit(query: query, replyFD: fd, client: sender, clientLength: rxMsgs[i].msg_hdr.msg_namelen) }
                continue
            }
            if len == 0 {
                queries.dropped()
                continue
            }
            if let l = limiter {
                switch l.verdict(for: sender, second: second, slipCount: &slipCount) {
                case .answer: break
                case .truncate: len = Responder.truncate(reply: reply, length: len)
                case .drop:
                    queries.dropped()
                    continue
                }
            }
            queries.count(reply: replyStart, length: len)
            txIov[out].iov_base = reply.baseAddress
            txIov[out].iov_len = len
            txMsgs[out].msg_hdr = msghdr(
                msg_name: UnsafeMutableRawPointer(names.baseAddress! + i),
                msg_namelen: rxMsgs[i].msg_hdr.msg_namelen,
                msg_iov: txIov.baseAddress! + out, msg_iovlen: 1,
                msg_control: nil, msg_controllen: 0, msg_flags: 0)
            out += 1
        }
        var sent = 0
        while sent < out {
            let r = retryingEINTR { cns_sendmmsg(fd, txMsgs.baseAddress! + sent, UInt32(out - sent), Int32(MSG_DONTWAIT)) }
            if r > 0 {
                sent += Int(r)
                counters.answered &+= Int(r)
                continue
            }
            let e = cns_errno()
            if e == EAGAIN || e == EWOULDBLOCK {
                // The socket buffer is full: UDP replies are best effort.
                counters.sendErrors &+= out - sent
                break
            }
            // This one destination failed (EINVAL, EPERM...): skip it, send the rest.
            counters.sendErrors &+= 1
            sent += 1
        }
    }
}

/// How a UDP worker waits for datagrams.
public enum UDPIO: String, Sendable, CaseIterable {
    /// A Dispatch read source drains the socket in batches.
    case dispatch
    /// A thread of its own blocks in recvmmsg.
    case thread
}
