import DNSWire
import Foundation
import Testing

/// SIGTERM: no new TCP connection, every query already sent is answered, exit 0 well
/// within the 5 s the issue allows (the kubelet waits `terminationGracePeriodSeconds`).
@Suite struct ShutdownTests {
    @Test func sigtermUnderTCPLoadAnswersWhatWasAskedAndExitsZero() throws {
        let s = try SextantProcess(["--zones", repositoryZones])
        let query = try MessageBuilder.query(id: 1, name: DNSName("nginx.nginx-test.svc.clusterset.local"), type: .a)
        // Load: 8 connections kept busy by their own threads until the server goes.
        let stop = Atomic(false)
        var loaders: [Thread] = []
        for _ in 0..<8 {
            let fd = try RawClient.tcpConnect(port: s.port)
            let t = Thread {
                defer { close(fd) }
                let burst = Array(repeating: RawClient.framed(query), count: 20).flatMap { $0 }
                while !stop.value {
                    RawClient.write(fd, burst)
                    for _ in 0..<20 where RawClient.readFrame(fd, timeout: 2) == nil { return }
                }
            }
            t.start()
            loaders.append(t)
        }
        // And 6 connections that each sent 50 pipelined queries just before the signal.
        var asked: [Int32] = []
        for _ in 0..<6 {
            let fd = try RawClient.tcpConnect(port: s.port)
            asked.append(fd)
        }
        let idle = try RawClient.tcpConnect(port: s.port)
        defer { close(idle); for fd in asked { close(fd) } }
        Thread.sleep(forTimeInterval: 0.3)
        for fd in asked { RawClient.write(fd, Array(repeating: RawClient.framed(query), count: 50).flatMap { $0 }) }

        let start = Date()
        s.signal(SIGTERM)
        for fd in asked {
            var answered = 0
            while RawClient.readFrame(fd, timeout: 3) != nil { answered += 1 }
            #expect(answered == 50, "\(answered) of 50 pipelined queries answered before the close")
        }
        // An idle connection is closed at once, not left to its idle timeout.
        #expect(RawClient.closedByPeer(idle, timeout: 3))
        s.process.waitUntilExit()
        let took = Date().timeIntervalSince(start)
        stop.value = true
        #expect(s.process.terminationStatus == 0)
        #expect(took < 5, "exit after \(took) s")
        // Nothing listens any more.
        #expect(throws: HarnessError.self) { _ = try RawClient.tcpConnect(port: s.port) }
    }
}

/// A flag the test's threads read.
final class Atomic<T>: @unchecked Sendable {
    // @unchecked: every access is under the lock.
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}
