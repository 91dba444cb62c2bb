import Foundation

/// A loopback port free for both UDP and TCP at the time of asking, for a test's server
/// (Sextant, NSD, the resolvers, the scripted upstreams), taken from below the kernel's
/// ephemeral range.
///
/// Why below: `dig` sets SO_REUSEPORT on its socket and binds port 0, and the tests run
/// as one user, so the kernel may give a `dig` of one test the port a server of another
/// test listens on (its UDP sockets have SO_REUSEPORT too; measured here: 57 of 3,000
/// such binds landed on one of 500 live server ports). A datagram from that `dig`'s
/// server then goes to the `dig`, not to the server sharing the port: two tests' queries
/// crossed once in CI (`theCacheBoundHoldsUnderAFloodOfDistinctNames`: a question never
/// reached Sextant and its `dig` took another `dig`'s query, "query response not set",
/// for its answer). A port below the range is never one a port-0 bind is given.
func freeLoopbackPort() throws -> UInt16 {
    for _ in 0..<200 {
        let port = UInt16.random(in: serverPorts)
        if bindsLoopback(port, Int32(SOCK_DGRAM.rawValue)) && bindsLoopback(port, Int32(SOCK_STREAM.rawValue)) { return port }
    }
    throw HarnessError("no free loopback port in \(serverPorts)")
}

/// Up to 12,000 ports just below the ephemeral range (`ip_local_port_range`, 32768-60999
/// by default), above the privileged ports; above the range when it leaves no room below.
let serverPorts: ClosedRange<UInt16> = {
    let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
    let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { UInt16($0) }
    let (low, high) = bounds.count == 2 ? (bounds[0], bounds[1]) : (32768, 60999)
    if low > 2048 { return max(1024, low - 12_000)...(low - 1) }
    if high < 65000 { return (high + 1)...65535 }
    return 1024...65535  // no port outside the range: any free one
}()

/// Whether a socket of `type` binds 127.0.0.1:`port` (no SO_REUSEPORT: a port any
/// socket holds, shared or not, is refused).
private func bindsLoopback(_ port: UInt16, _ type: Int32) -> Bool {
    let fd = socket(AF_INET, type, 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var a = RawClient.address(port)
    return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
}
