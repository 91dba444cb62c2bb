#if canImport(Glibc)
import Glibc
#endif

/// A GET over plain HTTP/1.1 for `sextant show`: the operations endpoint only, so no TLS,
/// no redirects, a 5 s limit and a 16 MiB body at most. Addresses and the head's end are
/// read as the server reads them (`HTTPServer.split`, `HTTPServer.headEnd`).
public enum PlainHTTP {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func get(_ url: String) throws(Failure) -> [UInt8] {
        guard url.hasPrefix("http://") else { throw Failure(description: "only http:// URLs") }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        let host: String, port: UInt16
        do {
            (host, port) = try HTTPServer.split(authority.hasSuffix("]") || !authority.contains(":") ? authority + ":80" : authority)
        } catch {
            throw Failure(description: "\(url): not http://HOST[:PORT]/")
        }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else { throw Failure(description: "cannot resolve \(host)") }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw Failure(description: "cannot connect: \(String(cString: strerror(errno)))")
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(authority)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Failure(description: "cannot send the request")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while response.count < 16 << 20 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Failure(description: "no answer within 5 s") }
            if n == 0 { break }
            response += buffer[0..<n]
        }
        guard let bodyStart = HTTPServer.headEnd(response) else { throw Failure(description: "not an HTTP response") }
        let statusLine = String(decoding: response[..<(response.firstIndex(of: 13) ?? bodyStart)], as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else { throw Failure(description: "not an HTTP response") }
        guard status == 200 else { throw Failure(description: "HTTP \(status)") }
        return Array(response[bodyStart...])
    }
}
