#if canImport(Glibc)
import Glibc
#endif
import CNetShim

/// A failed system call: which one, and its errno. Thrown at setup time (bind, listen);
/// on the packet path failures are counted, not thrown.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32 = cns_errno()) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        let text = strerror(errno).map { String(cString: $0) } ?? "errno \(errno)"
        return "\(call): \(text)"
    }

    public var wouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
}

/// Runs a system call again while it fails with EINTR: the one place that retries.
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let r = body()
        if r >= 0 || cns_errno() != EINTR { return r }
    }
}
