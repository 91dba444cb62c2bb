import DNSWire
import Foundation

/// A scripted upstream on a loopback UDP port, for what a real server will not do on
/// demand: stay silent, answer SERVFAIL, or send a forged reply (wrong ID, wrong
/// question, from another port) before the real one.
final class FakeUpstream: @unchecked Sendable {
    // @unchecked: `queries` is behind `lock`; the sockets are used by the thread only.

    enum Forgery: Sendable { case wrongID, wrongQuestion, wrongSource }

    enum Behaviour: Sendable {
        /// Never answers (a timeout).
        case silent
        /// Answers with this rcode and no records.
        case rcode(RCode)
        /// Answers an A record with this address.
        case answer([UInt8])
        /// First a forged reply with 6.6.6.6, then 50 ms later the real one with this address.
        case forgedFirst(Forgery, [UInt8])
        /// Answers an A record with this address after this many milliseconds.
        case delayed(Int, [UInt8])
    }

    let port: UInt16
    private let fd: Int32
    private let other: Int32
    private let behaviour: Behaviour
    private let lock = NSLock()
    private var count = 0
    private var stopped = false
    private var thread: Thread?

    /// Questions received so far.
    var queries: Int { lock.withLock { count } }
    /// The last query received, decoded.
    var lastQuery: Message? { lock.withLock { last } }
    private var last: Message?

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        port = try freeLoopbackPort()
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        other = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var a = RawClient.address(port)
        let ok = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { throw HarnessError("fake upstream: bind 127.0.0.1:\(port) failed") }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let t = Thread { [self] in loop() }
        thread = t
        t.start()
    }

    func stop() {
        lock.withLock { stopped = true }
        Thread.sleep(forTimeInterval: 0.2)
        close(fd)
        close(other)
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !lock.withLock({ stopped }) {
            var from = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buffer.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) } }
            }
            guard n > 0, let query = try? Message(decoding: Array(buffer[0..<n])), let q = query.questions.first else { continue }
            lock.withLock {
                count += 1
                last = query
            }
            func reply(id: UInt16, name: DNSName, rcode: RCode, address: [UInt8]?) -> [UInt8] {
                var b = MessageBuilder()
                b.appendUInt16(id)
                b.appendUInt16(Wire.Flag.qr | Wire.Flag.rd | Wire.Flag.ra | rcode.headerBits)
                b.appendUInt16(1)
                b.appendUInt16(address == nil ? 0 : 1)
                b.appendUInt16(0)
                b.appendUInt16(0)
                b.append(name, compress: true)
                b.appendUInt16(q.type.rawValue)
                b.appendUInt16(q.rclass)
                if let address { b.append(ResourceRecord(name: name, type: .a, ttl: 300, rdata: .bytes(address))) }
                return b.bytes
            }
            func send(_ bytes: [UInt8], on socket: Int32) {
                _ = bytes.withUnsafeBytes { b in
                    withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(socket, b.baseAddress, b.count, 0, $0, len) } }
                }
            }
            switch behaviour {
            case .silent:
                continue
            case .rcode(let r):
                send(reply(id: query.id, name: q.name, rcode: r, address: nil), on: fd)
            case .answer(let a):
                send(reply(id: query.id, name: q.name, rcode: .noError, address: a), on: fd)
            case .delayed(let ms, let a):
                Thread.sleep(forTimeInterval: Double(ms) / 1000)
                send(reply(id: query.id, name: q.name, rcode: .noError, address: a), on: fd)
            case .forgedFirst(let forgery, let a):
                let forged: [UInt8]
                switch forgery {
                case .wrongID: forged = reply(id: query.id ^ 0x5A5A, name: q.name, rcode: .noError, address: [6, 6, 6, 6])
                case .wrongQuestion: forged = reply(id: query.id, name: try! DNSName("forged.upstream.test"), rcode: .noError, address: [6, 6, 6, 6])
                case .wrongSource: forged = reply(id: query.id, name: q.name, rcode: .noError, address: [6, 6, 6, 6])
                }
                send(forged, on: forgery == .wrongSource ? other : fd)
                Thread.sleep(forTimeInterval: 0.05)
                send(reply(id: query.id, name: q.name, rcode: .noError, address: a), on: fd)
            }
        }
    }
}
