import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Plain sockets to the server, for what dig cannot send: garbage, pipelining,
/// partial frames, floods.
enum RawClient {
    static func address(_ port: UInt16) -> sockaddr_in {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        return sin
    }

    static func udpSocket() -> Int32 { socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }

    static func send(_ fd: Int32, _ bytes: [UInt8], port: UInt16) {
        var sin = address(port)
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Waits up to `timeout` seconds for something to read.
    static func readable(_ fd: Int32, timeout: Double) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, Int32(timeout * 1000)) > 0
    }

    /// One UDP exchange; nil when nothing came back within `timeout`.
    static func udp(_ query: [UInt8], port: UInt16, timeout: Double = 3) -> [UInt8]? {
        let fd = udpSocket()
        defer { close(fd) }
        send(fd, query, port: port)
        guard readable(fd, timeout: timeout) else { return nil }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? Array(buf[0..<n]) : nil
    }

    static func tcpConnect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sin = address(port)
        let r = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else {
            close(fd)
            throw HarnessError("connect failed: errno \(errno)")
        }
        return fd
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    static func framed(_ message: [UInt8]) -> [UInt8] {
        [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    /// Reads exactly `count` bytes, or nil on EOF, error or `timeout`.
    static func read(_ fd: Int32, count: Int, timeout: Double = 3) -> [UInt8]? {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: count)
        while out.count < count {
            guard readable(fd, timeout: timeout) else { return nil }
            let n = recv(fd, &buf, count - out.count, 0)
            if n <= 0 { return nil }
            out += buf[0..<n]
        }
        return out
    }

    /// Reads one length-prefixed DNS message from a TCP stream.
    static func readFrame(_ fd: Int32, timeout: Double = 3) -> [UInt8]? {
        guard let len = read(fd, count: 2, timeout: timeout) else { return nil }
        return read(fd, count: Int(len[0]) << 8 | Int(len[1]), timeout: timeout)
    }

    /// True when the server closed the connection (EOF) within `timeout`.
    static func closedByPeer(_ fd: Int32, timeout: Double) -> Bool {
        guard readable(fd, timeout: timeout) else { return false }
        var b: UInt8 = 0
        return recv(fd, &b, 1, 0) <= 0
    }
}

/// This test process's folders, under one parent removed when the process exits (one
/// folder per call was left in /tmp: thousands after a few runs).
private let testFolders: String = {
    let parent = NSTemporaryDirectory() + "sextant-bb-\(getpid())"
    try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "sextant-bb-\(getpid())") }
    return parent
}()

/// A temporary zones folder.
func zonesFolder(_ files: [String: String]) throws -> String {
    let dir = testFolders + "/\(UInt64.random(in: 0...UInt64.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
    return dir
}

/// The repository's own zones/ folder.
var repositoryZones: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("zones").path
}
