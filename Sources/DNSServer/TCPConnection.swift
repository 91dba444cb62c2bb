#if canImport(Glibc)
import Glibc
#endif
import CNetShim
import AnswerTable
import Atomics
import Dispatch
import DNSWire
import Forwarder

/// One DNS-over-TCP client (RFC 7766): two-byte length framing, any number of pipelined
/// queries answered in order, an idle timeout, and back-pressure for a client that stops
/// reading. The socket is non-blocking, so a slow or stalled client only ever waits on
/// itself.
final class TCPConnection: @unchecked Sendable {
    // @unchecked: every mutable field is touched only on `queue`, which runs all of this
    // connection's source handlers.

    static let initialInput = 4096
    static let maxInput = 2 + Wire.maxTCPMessageSize
    /// Stop reading queries while this much output waits for the client.
    static let maxPendingOutput = 256 * 1024

    let fd: Int32
    let queue: DispatchQueue
    private let idleTimeout: UInt64
    private let onClose: @Sendable () -> Void
    private var reader: SnapshotReader

    private var readSource: DispatchSourceRead?
    private var writeSource: DispatchSourceWrite?
    private var timer: DispatchSourceTimer?
    private var readSuspended = false
    private var writeSuspended = true
    private var closed = false
    private var peerFinished = false
    private var pendingCancels = 2

    private var input: UnsafeMutableRawBufferPointer
    private var inputCount = 0
    private var output: UnsafeMutableRawBufferPointer?
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private let scratch: UnsafeMutableRawBufferPointer
    /// Uptime in nanoseconds of the last byte in or out. Atomic because the listener
    /// reads it to pick the connection to evict when the limit is reached.
    private let lastActivityNanos: ManagedAtomic<UInt64>
    var lastActivity: UInt64 { lastActivityNanos.load(ordering: .relaxed) }

    /// Replies and dropped messages, shared by every TCP connection.
    private let queries: QueryCounters
    /// Called when the idle timeout closes the connection.
    private let onIdleClose: @Sendable () -> Void

    /// False for a client outside `--allow`: every query gets REFUSED.
    private let allowed: Bool
    /// `--forward`: misses go to it; its replies come back on `queue`, possibly out of
    /// order with the authoritative ones (RFC 7766 §7 lets clients match by ID).
    private let forwarder: Forwarder?
    /// Questions handed to the forwarder and not answered yet: a half-closed connection
    /// stays open for them.
    private var awaitingForwarder = 0

    init(fd: Int32, queue: DispatchQueue, idleTimeout: Double, snapshots: SnapshotBox, queries: QueryCounters, allowed: Bool = true,
         forwarder: Forwarder? = nil, onIdleClose: @escaping @Sendable () -> Void, onClose: @escaping @Sendable () -> Void) {
        self.queries = queries
        self.allowed = allowed
        self.forwarder = forwarder
        self.onIdleClose = onIdleClose
        self.fd = fd
        self.queue = queue
        self.idleTimeout = UInt64(idleTimeout * 1_000_000_000)
        self.onClose = onClose
        reader = snapshots.reader()
        input = .allocate(byteCount: Self.initialInput, alignment: 16)
        scratch = .allocate(byteCount: Responder.scratchSize, alignment: 16)
        lastActivityNanos = ManagedAtomic(DispatchTime.now().uptimeNanoseconds)
    }

    deinit {
        input.deallocate()
        output?.deallocate()
        scratch.deallocate()
    }

    func start() {
        let r = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        let w = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        r.setEventHandler { [self] in readable() }
        w.setEventHandler { [self] in writable() }
        r.setCancelHandler { [self] in sourceCancelled() }
        w.setCancelHandler { [self] in sourceCancelled() }
        readSource = r
        writeSource = w
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.setEventHandler { [self] in idleCheck() }
        t.schedule(deadline: .now() + .nanoseconds(Int(idleTimeout)))
        timer = t
        t.resume()
        r.resume()
    }

    private func readable() {
        guard !closed else { return }
        if inputCount == input.count {
            // Only reached when a frame is larger than the buffer: grow to the frame.
            grow(to: min(input.count * 2, Self.maxInput))
            guard inputCount < input.count else {
                close()
                return
            }
        }
        let n = retryingEINTR { read(fd, input.baseAddress! + inputCount, input.count - inputCount) }
        if n < 0 {
            if cns_errno() == EAGAIN || cns_errno() == EWOULDBLOCK { return }
            close()
            return
        }
        if n == 0 {
            // The client half-closed: answer what it sent, flush, then close.
            peerFinished = true
            suspendReading()
            if nothingOwed { close() }
            return
        }
        inputCount += n
        lastActivityNanos.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        processFrames()
    }

    private var pendingCount: Int { pending.count - pendingStart }

    /// No reply waiting to be written and none still to come from the forwarder: a
    /// half-closed connection may close.
    private var nothingOwed: Bool { pendingCount == 0 && awaitingForwarder == 0 }

    private func grow(to size: Int) {
        guard size > input.count else { return }
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        bigger.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: inputCount)
        input.deallocate()
        input = bigger
    }

    private func processFrames() {
        let table = reader.get()
        let forwarding = forwarder.map { Responder.Forwarding(cache: $0.cache, nowMs: ForwarderClock.nowMs()) }
        var start = 0
        while inputCount - start >= 2 && !closed {
            let len = Int(input[start]) << 8 | Int(input[start + 1])
            if len == 0 {
                // A zero-length message cannot be DNS: the stream is not DNS either.
                close()
                return
            }
            guard inputCount - start - 2 >= len else {
                if 2 + len > input.count - start {
                    // Make room for the whole frame, then wait for the rest of it.
                    if start > 0 { compact(from: start); start = 0 }
                    grow(to: 2 + len)
                }
                break
            }
            let out = outputBuffer()
            let query = UnsafeRawBufferPointer(start: input.baseAddress! + start + 2, count: len)
            let body = UnsafeMutableRawBufferPointer(rebasing: out[2...])
            let n = allowed ? Responder.respond(to: query, table: table, transport: .tcp, scratch: scratch, out: body, forwarding: forwarding)
                : Responder.refuse(to: query, scratch: scratch, out: body)
            if n == Responder.forwardMarker, let f = forwarder {
                awaitingForwarder += 1
                f.submit(query: Array(query)) { [self] reply in queue.async { self.forwarded(reply) } }
                start += 2 + len
                continue
            }
            if n == 0 { queries.dropped() }
            if n > 0 {
                queries.count(reply: body.baseAddress!, length: n)
                out[0] = UInt8(n >> 8)
                out[1] = UInt8(n & 0xFF)
                send(UnsafeRawBufferPointer(rebasing: out[0..<(n + 2)]))
            }
            start += 2 + len
        }
        if start > 0 { compact(from: start) }
        if pendingCount > Self.maxPendingOutput { suspendReading() }
    }

    /// A reply from the forwarder, on `queue`.
    private func forwarded(_ reply: [UInt8]) {
        awaitingForwarder -= 1
        guard !closed else { return }
        // Not counted in `queries`, like the forwarder's UDP replies: `sextant_forward_*` counts them.
        var framed: [UInt8] = [UInt8(truncatingIfNeeded: reply.count >> 8), UInt8(truncatingIfNeeded: reply.count)]
        framed.append(contentsOf: reply)
        framed.withUnsafeBytes { send($0) }
        lastActivityNanos.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        if peerFinished && nothingOwed { close() }
    }

    private func compact(from start: Int) {
        let rest = inputCount - start
        if rest > 0 { input.baseAddress!.copyMemory(from: input.baseAddress! + start, byteCount: rest) }
        inputCount = rest
    }

    private func outputBuffer() -> UnsafeMutableRawBufferPointer {
        if let o = output { return o }
        let o = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 + Wire.maxTCPMessageSize, alignment: 16)
        output = o
        return o
    }

    /// Writes at once when nothing is queued; otherwise queues behind the earlier replies.
    private func send(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        if pendingCount == 0 {
            let n = retryingEINTR { Glibc.send(fd, bytes.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && !(cns_errno() == EAGAIN || cns_errno() == EWOULDBLOCK) {
                close()
                return
            }
            offset = max(n, 0)
            if offset == bytes.count { return }
        }
        pending.append(contentsOf: bytes[offset...])
        if writeSuspended {
            writeSuspended = false
            writeSource?.resume()
        }
    }

    private func writable() {
        guard !closed else { return }
        let n = pending.withUnsafeBytes { buf in
            retryingEINTR { Glibc.send(fd, buf.baseAddress! + pendingStart, pendingCount, Int32(MSG_NOSIGNAL)) }
        }
        if n < 0 {
            if cns_errno() == EAGAIN || cns_errno() == EWOULDBLOCK { return }
            close()
            return
        }
        pendingStart += n
        lastActivityNanos.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        if pendingCount == 0 {
            pending.removeAll(keepingCapacity: pending.capacity <= 65536)
            pendingStart = 0
            writeSuspended = true
            writeSource?.suspend()
            if peerFinished && nothingOwed {
                close()
                return
            }
        }
        if readSuspended && !peerFinished && pendingCount <= Self.maxPendingOutput / 2 {
            readSuspended = false
            readSource?.resume()
            // Frames may already be buffered from before the pause.
            processFrames()
        }
    }

    private func suspendReading() {
        guard !readSuspended else { return }
        readSuspended = true
        readSource?.suspend()
    }

    /// Closes the connection once it has been idle (no bytes in or out) for the timeout.
    private func idleCheck() {
        guard !closed else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let idle = now &- lastActivity
        if idle >= idleTimeout {
            onIdleClose()
            close()
        } else {
            timer?.schedule(deadline: .now() + .nanoseconds(Int(idleTimeout - idle)))
        }
    }

    /// The server is stopping: what the client already sent is answered (what waits in
    /// the socket's buffer is read once more), nothing more is read, and the connection
    /// closes once its replies are written. On `queue`.
    func finish() {
        guard !closed else { return }
        if !readSuspended && !peerFinished {
            while !closed && !peerFinished {
                let before = inputCount
                readable()
                if inputCount == before { break }
            }
        }
        guard !closed else { return }
        peerFinished = true
        suspendReading()
        if nothingOwed { close() }
    }

    func close() {
        guard !closed else { return }
        closed = true
        timer?.cancel()
        // A suspended source runs its cancel handler only once resumed.
        if writeSuspended { writeSuspended = false; writeSource?.resume() }
        if readSuspended { readSuspended = false; readSource?.resume() }
        writeSource?.cancel()
        readSource?.cancel()
    }

    /// The descriptor is closed only after both sources are cancelled (Dispatch's rule),
    /// which also breaks the reference cycle between the connection and its handlers.
    private func sourceCancelled() {
        pendingCancels -= 1
        guard pendingCancels == 0 else { return }
        _ = Glibc.close(fd)
        readSource = nil
        writeSource = nil
        timer = nil
        onClose()
    }
}
