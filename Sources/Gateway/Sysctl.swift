#if canImport(Glibc)
import Glibc
#endif

/// Kernel settings under /proc/sys (keys as paths: `net/ipv4/ip_forward`), written only when they differ (a container's
/// read-only /proc/sys then fails only if a change is really needed).
enum Sysctl {
    static func read(_ key: String) -> String? {
        let path = "/proc/sys/" + key
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self).trimmed
    }

    static func write(_ key: String, _ value: String) throws(GatewayError) {
        if read(key) == value { return }
        let path = "/proc/sys/" + key
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GatewayError("cannot set \(key)=\(value): \(String(cString: strerror(errno)))", errno: errno) }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw GatewayError("cannot set \(key)=\(value): \(String(cString: strerror(errno)))", errno: errno) }
    }
}
