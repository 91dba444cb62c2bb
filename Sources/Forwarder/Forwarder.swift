#if canImport(Glibc)
import Glibc
#endif
import Atomics
import CNetShim
import DNSWire
import Locking
import Logging

/// Names outside the served zones: asks the upstreams and keeps their answers in
/// `cache`, which the DNS workers read themselves.
///
/// One thread of its own runs an epoll loop over: the hand-over socket the UDP workers
/// write their misses to (`ForwardIntake`, never blocking them), an eventfd for misses
/// from TCP connections, and one socket per question in flight upstream. Each upstream
/// question has its own random ID and its own connected socket (so its own random
/// source port, and the kernel drops datagrams from anyone but the upstream); a reply
/// counts only with the same ID and question. An upstream that does not answer within
/// the timeout is left for the next; one that keeps failing is skipped for a while and
/// probed again.
public final class Forwarder: @unchecked Sendable {
    // @unchecked: everything mutable below `Loop state` is touched by the forwarder's
    // thread only; the rest is immutable, atomic or behind `inbox`'s lock.

    public let configuration: ForwarderConfiguration
    /// Nil with `--cache-size 0`.
    public let cache: AnswerCache?
    public let statistics: ForwarderStatistics
    private let logger: Logger

    /// The workers' end of the hand-over socket pair.
    let intakeWrite: Int32
    private let intakeRead: Int32
    private let wake: Int32
    private let epfd: Int32
    private let inbox = Locked<[(query: [UInt8], reply: @Sendable ([UInt8]) -> Void)]>([])
    private let stopping = ManagedAtomic<Bool>(false)
    private let running = ManagedAtomic<Bool>(false)
    private var thread = pthread_t()

    /// The hand-over datagram's header, before the client's query (`ForwardIntake`).
    enum Intake {
        static let replyFD = 0          // Int32: the worker's socket the reply goes out on
        static let clientLength = 4     // UInt32
        static let client = 8           // sockaddr_storage
        static let upstreamFD = 136     // Int32: the first upstream query's socket, -1 if not sent
        static let upstream = 140       // Int32: which upstream it went to
        static let id = 144             // UInt16: its ID
        static let sentAt = 152         // UInt64: when (ForwarderClock.nowNs)
        static let size = 160
    }

    /// The upstream the workers send a miss's first query to: the first in order that is
    /// not skipped (-1: the forwarder chooses).
    private let preferred = ManagedAtomic<Int>(0)
    private let upstreamSockets: [UpstreamAddress.Socket]

    // MARK: Loop state
    private var exchanges: [Int32: Exchange] = [:]
    private var inFlight: [Exchange.Key: Exchange] = [:]
    private var timers = TimerHeap()
    private var health: [UpstreamHealth]
    private let buffer: UnsafeMutableRawBufferPointer
    private let reply: UnsafeMutableRawBufferPointer
    private let scratch: UnsafeMutableRawBufferPointer
    private var attempts: UInt64 = 0

    public init(configuration: ForwarderConfiguration, logger: Logger) throws(UpstreamError) {
        guard !configuration.upstreams.isEmpty else { throw UpstreamError("--forward needs at least one upstream") }
        self.configuration = configuration
        self.logger = logger
        cache = configuration.cacheSize > 0 ? AnswerCache(entries: configuration.cacheSize, maxStale: configuration.maxStale) : nil
        statistics = ForwarderStatistics(upstreams: configuration.upstreams.count)
        health = configuration.upstreams.map { _ in UpstreamHealth(backoffMs: configuration.backoffMs) }
        upstreamSockets = configuration.upstreams.map(\.socket)
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw UpstreamError("forwarder: socketpair: \(String(cString: strerror(errno)))")
        }
        intakeRead = pair[0]
        intakeWrite = pair[1]
        var size: Int32 = 4 << 20
        _ = setsockopt(intakeWrite, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(intakeRead, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        wake = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard wake >= 0, epfd >= 0 else {
            throw UpstreamError("forwarder: eventfd/epoll: \(String(cString: strerror(errno)))")
        }
        buffer = .allocate(byteCount: Intake.size + Wire.maxTCPMessageSize + 2, alignment: 16)
        reply = .allocate(byteCount: Wire.maxTCPMessageSize + AnswerCache.capacityPerSlot + CachedReply.slack, alignment: 16)
        scratch = .allocate(byteCount: Wire.Name.maxLength + 16, alignment: 16)
        watch(intakeRead, EPOLLIN)
        watch(wake, EPOLLIN)
    }

    deinit {
        for fd in [intakeRead, intakeWrite, wake, epfd] { _ = close(fd) }
        buffer.deallocate()
        reply.deallocate()
        scratch.deallocate()
    }

    /// Starts the forwarder's thread.
    public func start() throws(UpstreamError) {
        final class Body {
            let run: () -> Void
            init(_ run: @escaping () -> Void) { self.run = run }
        }
        let body = Unmanaged.passRetained(Body { [self] in loop() })
        let r = pthread_create(&thread, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<Body>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, body.toOpaque())
        guard r == 0 else {
            body.release()
            throw UpstreamError("forwarder: pthread_create: \(String(cString: strerror(r)))")
        }
        running.store(true, ordering: .releasing)
    }

    /// Stops the thread: questions in flight are abandoned (their clients ask again).
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        stopping.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
        pthread_join(thread, nil)
    }

    /// A miss from a TCP connection: `reply` gets the reply's bytes (unframed) on the
    /// forwarder's thread, or is never called if the question is dropped.
    public func submit(query: [UInt8], reply: @escaping @Sendable ([UInt8]) -> Void) {
        inbox.withLock { $0.append((query, reply)) }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    /// A hand-over end for one UDP worker.
    public func makeIntake() -> ForwardIntake {
        ForwardIntake(fd: intakeWrite, statistics: statistics, upstreams: upstreamSockets, preferred: preferred,
                      timeoutMs: configuration.timeoutMs, maxPending: configuration.maxPending)
    }

    private func watch(_ fd: Int32, _ events: EPOLL_EVENTS, modify: Bool = false) {
        var ev = epoll_event()
        ev.events = events.rawValue
        ev.data.fd = fd
        _ = epoll_ctl(epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev)
    }

    // MARK: The loop

    private func loop() {
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: 64)
        defer { events.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            let timeout = timers.next.map { d -> Int32 in
                let now = ForwarderClock.nowNs()
                return d <= now ? 0 : Int32(min((d - now) / 1_000_000 + 1, 1000))
            } ?? 1000
            let n = epoll_wait(epfd, events, 64, timeout)
            if n > 0 {
                for i in 0..<Int(n) {
                    let fd = events[i].data.fd
                    let what = events[i].events
                    if fd == intakeRead {
                        drainIntake()
                    } else if fd == wake {
                        var v: UInt64 = 0
                        _ = read(wake, &v, 8)
                        drainInbox()
                    } else if let ex = exchanges[fd] {
                        ready(ex, events: what)
                    }
                }
            }
            expireTimers()
            updatePreferred()
        }
        for (fd, _) in exchanges { _ = close(fd) }
        exchanges.removeAll()
        inFlight.removeAll()
        statistics.pending.store(0, ordering: .relaxed)
    }

    private func drainIntake() {
        while true {
            let n = recv(intakeRead, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { return }
            guard n > Intake.size else { continue }
            let base = UnsafeRawPointer(buffer.baseAddress.unsafelyUnwrapped)
            let fd = base.load(fromByteOffset: Intake.replyFD, as: Int32.self)
            let length = base.load(fromByteOffset: Intake.clientLength, as: UInt32.self)
            var address = sockaddr_storage()
            withUnsafeMutableBytes(of: &address) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base + Intake.client, count: MemoryLayout<sockaddr_storage>.size)) }
            let upstreamFD = base.load(fromByteOffset: Intake.upstreamFD, as: Int32.self)
            var sent: Sent? = nil
            if upstreamFD >= 0 {
                sent = Sent(fd: upstreamFD, upstream: Int(base.load(fromByteOffset: Intake.upstream, as: Int32.self)),
                            id: base.load(fromByteOffset: Intake.id, as: UInt16.self), atNs: base.load(fromByteOffset: Intake.sentAt, as: UInt64.self))
            }
            statistics.misses.wrappingIncrement(ordering: .relaxed)
            accept(query: UnsafeRawBufferPointer(start: base + Intake.size, count: n - Intake.size),
                   route: .udp(fd: fd, address: address, length: socklen_t(min(length, UInt32(MemoryLayout<sockaddr_storage>.size)))), sent: sent)
        }
    }

    /// A first upstream query a worker already sent.
    struct Sent {
        var fd: Int32
        var upstream: Int
        var id: UInt16
        var atNs: UInt64
    }

    private func drainInbox() {
        let items = inbox.withLock { q -> [(query: [UInt8], reply: @Sendable ([UInt8]) -> Void)] in
            let all = q
            q.removeAll()
            return all
        }
        for item in items {
            statistics.misses.wrappingIncrement(ordering: .relaxed)
            item.query.withUnsafeBytes { accept(query: $0, route: .callback(item.reply)) }
        }
    }

    /// A client's question: from the cache if an answer arrived since the worker looked,
    /// joined to the same question in flight, or asked upstream.
    private func accept(query: UnsafeRawBufferPointer, route: Exchange.Route, sent: Sent? = nil) {
        guard query.count >= Wire.Header.size,
              let question = try? QueryParser.question(in: query, lowercasedInto: scratch),
              let edns = CachedReply.edns(in: query, after: question)
        else {
            if let sent { _ = close(sent.fd) }
            return
        }
        // Unless it becomes this question's attempt below, the worker's query is let go.
        var adopted = false
        defer { if let sent, !adopted { _ = close(sent.fd) } }
        let waiter = Exchange.Waiter(route: route, prefix: Array(query[0..<question.end]), question: question, edns: edns)
        let limit = Self.limit(for: waiter)
        if let cache {
            let n = cache.answer(query: query, question: question, name: UnsafeRawBufferPointer(scratch), edns: edns, limit: limit,
                                 nowMs: ForwarderClock.nowMs(), out: reply)
            if n > 0 {
                transmit(n, to: route)
                return
            }
        }
        let bits = AnswerCache.keyBits(flags: query.u16(at: Wire.Header.flags), edns: edns)
        let key = Exchange.Key(name: Array(UnsafeRawBufferPointer(rebasing: scratch[0..<question.nameLength])), type: question.type.rawValue, bits: bits)
        if let ex = inFlight[key] {
            if ex.waiters.count < 256 { ex.waiters.append(waiter) }
            statistics.coalesced.wrappingIncrement(ordering: .relaxed)
            return
        }
        guard inFlight.count < configuration.maxPending, let name = try? DNSName(wire: key.name) else {
            statistics.overloaded.wrappingIncrement(ordering: .relaxed)
            return
        }
        let ex = Exchange(key: key, name: name, nameHash: question.hash, tcp: route.isTCP)
        ex.waiters.append(waiter)
        inFlight[key] = ex
        statistics.pending.store(inFlight.count, ordering: .relaxed)
        if let sent, sent.upstream >= 0, sent.upstream < health.count {
            adopted = true
            ex.tried.append(sent.upstream)
            ex.upstream = sent.upstream
            ex.id = sent.id
            ex.fd = sent.fd
            ex.sentAtNs = sent.atNs
            statistics.upstreams[sent.upstream].queries.wrappingIncrement(ordering: .relaxed)
            watch(sent.fd, EPOLLIN)
            armed(ex)
            return
        }
        launch(ex)
    }

    /// The largest reply a waiter takes (the rule `Responder` applies too).
    static func limit(for w: Exchange.Waiter) -> Int {
        w.route.isTCP ? Wire.maxTCPMessageSize : ReplyWriter.udpLimit(edns: w.edns)
    }

    // MARK: Upstream attempts

    /// Asks the next upstream not asked yet (or `same` again, over TCP after a TC), or
    /// fails the question when none is left.
    private func launch(_ ex: Exchange, same: Int? = nil) {
        while true {
            guard let u = same ?? pick(excluding: ex.tried) else {
                fail(ex)
                return
            }
            if same == nil { ex.tried.append(u) }
            ex.upstream = u
            if open(ex, upstream: u) { return }
            statistics.upstreams[u].errors.wrappingIncrement(ordering: .relaxed)
            failed(u)
            if same != nil {
                fail(ex)
                return
            }
        }
    }

    /// The first upstream in `--forward` order that is not skipped; when every one left
    /// is skipped, the one whose pause ends first (asking beats failing at once).
    private func pick(excluding tried: [Int]) -> Int? {
        let now = ForwarderClock.nowNs()
        var best: Int? = nil
        for i in health.indices where !tried.contains(i) {
            if health[i].downUntilNs <= now { return i }
            if best == nil || health[i].downUntilNs < health[best!].downUntilNs { best = i }
        }
        return best
    }

    /// Opens this attempt's socket and sends (UDP) or starts connecting (TCP).
    private func open(_ ex: Exchange, upstream u: Int) -> Bool {
        let address = upstreamSockets[u]
        let kind = ex.tcp ? SOCK_STREAM : SOCK_DGRAM
        let fd = socket(address.family, Int32(kind.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        let query = ex.upstreamQuery()
        let r = address.withSockaddr { connect(fd, $0, $1) }
        if r != 0 && !(ex.tcp && errno == EINPROGRESS) {
            _ = close(fd)
            return false
        }
        statistics.upstreams[u].queries.wrappingIncrement(ordering: .relaxed)
        ex.fd = fd
        ex.sentAtNs = ForwarderClock.nowNs()
        if ex.tcp {
            ex.tcpOut = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
            ex.tcpWritten = 0
            ex.tcpIn = []
            ex.connecting = true
            watch(fd, EPOLLOUT)
        } else {
            let sent = query.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == query.count else {
                _ = close(fd)
                ex.fd = -1
                return false
            }
            watch(fd, EPOLLIN)
        }
        armed(ex)
        return true
    }

    /// Files an attempt whose socket is open: found by its descriptor, timed out later.
    private func armed(_ ex: Exchange) {
        exchanges[ex.fd] = ex
        attempts &+= 1
        ex.attempt = attempts
        timers.push(deadline: ex.sentAtNs + UInt64(configuration.timeoutMs) * 1_000_000, fd: ex.fd, attempt: ex.attempt)
    }

    private func closeAttempt(_ ex: Exchange) {
        guard ex.fd >= 0 else { return }
        exchanges[ex.fd] = nil
        _ = close(ex.fd)
        ex.fd = -1
    }

    private func expireTimers() {
        let now = ForwarderClock.nowNs()
        while let t = timers.popExpired(now: now) {
            guard let ex = exchanges[t.fd], ex.attempt == t.attempt else { continue }
            let u = ex.upstream
            statistics.upstreams[u].timeouts.wrappingIncrement(ordering: .relaxed)
            closeAttempt(ex)
            failed(u)
            launch(ex)
        }
    }

    private func ready(_ ex: Exchange, events: UInt32) {
        if ex.tcp {
            tcpReady(ex, events: events)
            return
        }
        let u = ex.upstream
        var from = sockaddr_storage()
        while ex.fd >= 0 {
            var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(ex.fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), $0, &fromLength) }
            }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
                // ECONNREFUSED and the like, from ICMP: this upstream is not there.
                statistics.upstreams[u].errors.wrappingIncrement(ordering: .relaxed)
                closeAttempt(ex)
                failed(u)
                launch(ex)
                return
            }
            let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: n)
            let fromUpstream = withUnsafeBytes(of: &from) { upstreamSockets[u].matches($0.baseAddress.unsafelyUnwrapped, length: fromLength) }
            guard fromUpstream, ex.accepts(bytes, scratch: scratch) else {
                statistics.upstreams[u].ignored.wrappingIncrement(ordering: .relaxed)
                continue
            }
            received(ex, bytes)
            return
        }
    }

    private func tcpReady(_ ex: Exchange, events: UInt32) {
        let u = ex.upstream
        func broken() {
            statistics.upstreams[u].errors.wrappingIncrement(ordering: .relaxed)
            closeAttempt(ex)
            failed(u)
            launch(ex)
        }
        if ex.connecting {
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(ex.fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 || events & EPOLLERR.rawValue != 0 { return broken() }
            ex.connecting = false
        }
        if ex.tcpWritten < ex.tcpOut.count {
            let n = ex.tcpOut.withUnsafeBytes { Glibc.send(ex.fd, $0.baseAddress.unsafelyUnwrapped + ex.tcpWritten, $0.count - ex.tcpWritten, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { return }
                return broken()
            }
            ex.tcpWritten += n
            if ex.tcpWritten == ex.tcpOut.count { watch(ex.fd, EPOLLIN, modify: true) }
            return
        }
        while true {
            let n = recv(ex.fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
                return broken()
            }
            if n == 0 { return broken() }
            ex.tcpIn.append(contentsOf: UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
            guard ex.tcpIn.count >= 2 else { continue }
            let length = Int(ex.tcpIn[0]) << 8 | Int(ex.tcpIn[1])
            guard ex.tcpIn.count >= 2 + length else { continue }
            let message = Array(ex.tcpIn[2..<(2 + length)])
            let ok = message.withUnsafeBytes { ex.accepts($0, scratch: scratch) }
            guard ok else {
                statistics.upstreams[u].ignored.wrappingIncrement(ordering: .relaxed)
                return broken()
            }
            message.withUnsafeBytes { received(ex, $0) }
            return
        }
    }

    /// A reply that is ours: over TCP again if truncated, the next upstream if it says
    /// nothing about the name, else answered, kept and done.
    private func received(_ ex: Exchange, _ bytes: UnsafeRawBufferPointer) {
        let u = ex.upstream
        let rtt = ForwarderClock.nowNs() &- ex.sentAtNs
        succeeded(u, rttNs: rtt)
        let flags = bytes.u16(at: Wire.Header.flags)
        closeAttempt(ex)
        if flags & Wire.Flag.tc != 0 && !ex.tcp {
            statistics.tcpRetries.wrappingIncrement(ordering: .relaxed)
            ex.tcp = true
            launch(ex, same: u)
            return
        }
        let message: Message
        do {
            message = try Message(decoding: Array(bytes))
        } catch {
            statistics.upstreams[u].errors.wrappingIncrement(ordering: .relaxed)
            launch(ex)
            return
        }
        let rcode = message.rcode
        if rcode != .noError && rcode != .nxDomain {
            statistics.upstreams[u].failures.wrappingIncrement(ordering: .relaxed)
            ex.lastFailure = Array(bytes)
            launch(ex)
            return
        }
        complete(ex, with: CachedAnswer.reduce(message, name: ex.name, type: RRType(ex.key.type), dnssec: ex.dnssec, limits: configuration.limits))
    }

    /// No upstream left: the last failure reply if there was one (SERVFAIL kept
    /// briefly), a stale answer where allowed, else SERVFAIL.
    private func fail(_ ex: Exchange) {
        if let last = ex.lastFailure, let message = try? Message(decoding: last) {
            complete(ex, with: CachedAnswer.reduce(message, name: ex.name, type: RRType(ex.key.type), dnssec: ex.dnssec, limits: configuration.limits))
            return
        }
        statistics.failedQuestions.wrappingIncrement(ordering: .relaxed)
        let servFail = CachedAnswer(rcode: .servFail, ttl: 0)
        let nowMs = ForwarderClock.nowMs()
        for w in ex.waiters {
            let n: Int = w.prefix.withUnsafeBytes { q in
                if let cache, configuration.maxStale > 0 {
                    // The waiter's lower-cased name is the key's.
                    let name = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<ex.key.name.count])
                    ex.key.name.withUnsafeBytes { name.copyMemory(from: $0) }
                    let stale = cache.answer(query: q, question: w.question, name: UnsafeRawBufferPointer(scratch), edns: w.edns, limit: Self.limit(for: w),
                                             nowMs: nowMs, allowStale: true, out: reply)
                    if stale > 0 {
                        statistics.staleAnswers.wrappingIncrement(ordering: .relaxed)
                        return stale
                    }
                }
                return CachedReply.write(servFail, query: q, question: w.question, edns: w.edns, limit: Self.limit(for: w), out: reply)
            }
            transmit(n, to: w.route)
        }
        finish(ex)
    }

    private func complete(_ ex: Exchange, with verdict: CachedAnswer.Verdict) {
        let answer: CachedAnswer
        switch verdict {
        case .cache(let a):
            answer = a
            let kept = cache?.insert(name: ex.key.name, type: RRType(ex.key.type), bits: ex.key.bits, nameHash: ex.nameHash, answer: a,
                                     nowMs: ForwarderClock.nowMs()) ?? true
            if !kept { statistics.uncacheable.wrappingIncrement(ordering: .relaxed) }
        case .relay(let a, _):
            answer = a
            statistics.uncacheable.wrappingIncrement(ordering: .relaxed)
        }
        for w in ex.waiters {
            let n = w.prefix.withUnsafeBytes { CachedReply.write(answer, query: $0, question: w.question, edns: w.edns, limit: Self.limit(for: w), out: reply) }
            transmit(n, to: w.route)
        }
        finish(ex)
    }

    private func finish(_ ex: Exchange) {
        closeAttempt(ex)
        inFlight[ex.key] = nil
        statistics.pending.store(inFlight.count, ordering: .relaxed)
    }

    private func transmit(_ n: Int, to route: Exchange.Route) {
        guard n > 0 else { return }
        switch route {
        case .udp(let fd, var address, let length):
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply.baseAddress, n, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), $0, length) }
            }
        case .callback(let deliver):
            deliver(Array(UnsafeRawBufferPointer(rebasing: reply[0..<n])))
        }
    }

    // MARK: Upstream health

    private func succeeded(_ u: Int, rttNs: UInt64) {
        if health[u].failures >= configuration.failuresBeforeDown {
            logger.notice("upstream \(configuration.upstreams[u]) answers again")
        }
        health[u].failures = 0
        health[u].downUntilNs = 0
        health[u].backoffMs = configuration.backoffMs
        updatePreferred()
        let s = statistics.upstreams[u]
        s.up.store(1, ordering: .relaxed)
        let micros = Int(rttNs / 1000)
        let old = s.rttMicros.load(ordering: .relaxed)
        s.rttMicros.store(old == 0 ? micros : old + (micros - old) / 8, ordering: .relaxed)
    }

    private func failed(_ u: Int) {
        health[u].failures += 1
        guard health[u].failures >= configuration.failuresBeforeDown else { return }
        if health[u].downUntilNs == 0 {
            logger.warning("upstream \(configuration.upstreams[u]) failed \(health[u].failures) times in a row: skipped for \(health[u].backoffMs) ms, then probed")
        }
        health[u].downUntilNs = ForwarderClock.nowNs() + UInt64(health[u].backoffMs) * 1_000_000
        health[u].backoffMs = min(health[u].backoffMs * 2, configuration.maxBackoffMs)
        statistics.upstreams[u].up.store(0, ordering: .relaxed)
        updatePreferred()
    }

    /// What the workers send first queries to: the first upstream not skipped; none (-1)
    /// while a skipped one is due for its probe, so that the forwarder's `pick` sends the
    /// next question to it.
    private func updatePreferred() {
        let now = ForwarderClock.nowNs()
        var first = -1
        var probeDue = false
        for i in health.indices {
            if health[i].failures >= configuration.failuresBeforeDown {
                if health[i].downUntilNs <= now { probeDue = true }
                continue
            }
            if first < 0 { first = i }
        }
        let value = probeDue ? -1 : first
        if preferred.load(ordering: .relaxed) != value { preferred.store(value, ordering: .relaxed) }
    }
}

/// An upstream's run of failures and the pause they earned (forwarder thread only).
struct UpstreamHealth {
    var failures = 0
    var downUntilNs: UInt64 = 0
    var backoffMs: Int
}
