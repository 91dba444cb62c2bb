#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging

/// A small HTTP/1.1 server for the operations endpoints (`/metrics`, `/health`, `/ready`,
/// `/debug/state`): GET and HEAD, one request per connection, on one serial queue of its
/// own, so that neither a scrape nor a slow client ever runs on a DNS worker's thread.
/// Limits: an 8 KiB request head, 5 s to send it, 64 connections at once (more are
/// closed at accept), 5 s to take the response.
public final class HTTPServer: @unchecked Sendable {
    // @unchecked: the listening socket, its source and the connection table are touched
    // only on `queue` (after start() has set them up, before the source is resumed).

    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    public static let maxHead = 8192
    public static let maxConnections = 64
    public static let timeoutSeconds = 5

    private let handler: Handler
    private let logger: Logger
    private let queue = DispatchQueue(label: "sextant.http")
    private var listenFD: Int32 = -1
    private var acceptSource: DispatchSourceRead?
    private var connections: [Int32: Connection] = [:]

    private final class Connection: @unchecked Sendable {
        // @unchecked: created, read and closed on the server's queue only.
        let fd: Int32
        var head: [UInt8] = []
        var source: DispatchSourceRead?
        init(fd: Int32) { self.fd = fd }
    }

    public init(logger: Logger, handler: @escaping Handler) {
        self.handler = handler
        self.logger = logger
    }

    /// Binds `address` (`HOST:PORT`, IPv6 as `[::1]:9153`; port 0 picks one) and starts
    /// answering. Returns the bound address as `HOST:PORT`.
    public func start(address: String) throws(HTTPServerError) -> String {
        let (host, port) = try Self.split(address)
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw HTTPServerError("--http \(address): '\(host)' is not an IP address")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError("--http \(address): socket: \(Self.errnoText())") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let text = Self.errnoText()
            close(fd)
            throw HTTPServerError("--http \(address): bind: \(text)")
        }
        guard listen(fd, 64) == 0 else {
            let text = Self.errnoText()
            close(fd)
            throw HTTPServerError("--http \(address): listen: \(text)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let boundPort = withUnsafeMutablePointer(to: &storage) { p -> UInt16 in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        listenFD = fd
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [unowned self] in self.acceptAll() }
        source.setCancelHandler { close(fd) }
        acceptSource = source
        source.resume()
        return host.contains(":") ? "[\(host)]:\(boundPort)" : "\(host):\(boundPort)"
    }

    /// Stops listening and closes open connections.
    public func stop() {
        queue.sync {
            acceptSource?.cancel()
            acceptSource = nil
            for c in connections.values { finish(c) }
        }
    }

    /// `HOST:PORT` (IPv6 in brackets) split and checked, for flag validation.
    public static func split(_ address: String) throws(HTTPServerError) -> (String, UInt16) {
        var host: Substring
        var portText: Substring
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]"), address[address.index(after: close)...].hasPrefix(":") else {
                throw HTTPServerError("--http \(address): IPv6 is written [ADDR]:PORT")
            }
            host = address[address.index(after: address.startIndex)..<close]
            portText = address[address.index(close, offsetBy: 2)...]
        } else {
            guard let colon = address.lastIndex(of: ":") else { throw HTTPServerError("--http \(address): ADDR:PORT expected") }
            host = address[..<colon]
            portText = address[address.index(after: colon)...]
        }
        guard !host.isEmpty, let port = UInt16(portText) else { throw HTTPServerError("--http \(address): ADDR:PORT expected") }
        return (String(host), port)
    }

    private func acceptAll() {
        while true {
            // accept4 is a GNU extension Swift's Glibc module does not declare.
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: drained; anything else: try again on the next event
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            guard connections.count < Self.maxConnections else {
                close(fd)
                continue
            }
            let c = Connection(fd: fd)
            connections[fd] = c
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [unowned self] in self.read(c) }
            c.source = source
            source.resume()
            queue.asyncAfter(deadline: .now() + .seconds(Self.timeoutSeconds)) { [weak self, weak c] in
                guard let self, let c, self.connections[c.fd] === c else { return }
                self.respond(c, HTTPResponse(status: 408, text: "request timeout\n"), headOnly: false)
            }
        }
    }

    private func read(_ c: Connection) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                c.head += buffer[0..<n]
                if let end = Self.headEnd(c.head), end <= Self.maxHead {
                    let head = Array(c.head[..<end])
                    guard let request = HTTPRequest.parse(head: head) else {
                        respond(c, HTTPResponse(status: 400, text: "bad request\n"), headOnly: false)
                        return
                    }
                    guard request.method == "GET" || request.method == "HEAD" else {
                        respond(c, HTTPResponse(status: 405, text: "only GET and HEAD\n"), headOnly: false)
                        return
                    }
                    respond(c, handler(request), headOnly: request.method == "HEAD")
                    return
                }
                if c.head.count > Self.maxHead {
                    respond(c, HTTPResponse(status: 431, text: "request head over \(Self.maxHead) bytes\n"), headOnly: false)
                    return
                }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            if n < 0 && errno == EINTR { continue }
            finish(c)  // EOF or error before a whole request
            return
        }
    }

    /// Where the head ends (just past the blank line), if it has.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    private func respond(_ c: Connection, _ response: HTTPResponse, headOnly: Bool) {
        let bytes = response.serialized(headOnly: headOnly)
        // Blocking with a send timeout: responses are small, and a client that does not
        // read holds this queue for at most the timeout.
        _ = fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) & ~O_NONBLOCK)
        var tv = timeval(tv_sec: Self.timeoutSeconds, tv_usec: 0)
        _ = setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(c.fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        // A request refused before it was read whole (431) may still have bytes in flight:
        // closing with unread input would reset the connection before the client reads
        // the answer. Half-close, take what has arrived, then close.
        if response.status >= 400 {
            _ = shutdown(c.fd, Int32(SHUT_WR))
            var scratch = [UInt8](repeating: 0, count: 4096)
            var waited = 0
            while waited < 20 {
                let n = scratch.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n == 0 { break }
                if n < 0 {
                    if errno == EINTR { continue }
                    guard errno == EAGAIN || errno == EWOULDBLOCK else { break }
                    usleep(5_000)
                    waited += 1
                }
            }
        }
        finish(c)
    }

    private func finish(_ c: Connection) {
        guard connections[c.fd] === c else { return }
        connections[c.fd] = nil
        let fd = c.fd
        if let s = c.source {
            s.setCancelHandler { close(fd) }
            s.cancel()
        } else {
            close(fd)
        }
        c.source = nil
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
