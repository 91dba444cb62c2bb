import Foundation

/// The bearer token of requests: fixed, or read from a file that the kubelet rotates.
///
/// A file token is read again after `refresh` seconds (client-go: one minute) and at once
/// after a 401 (`invalidate`), opened by path each time so that the projected volume's
/// atomic symlink swap is followed. The last good token is kept if a read fails.
public final class TokenSource: @unchecked Sendable {
    // @unchecked: `token` and `readAt` are touched only under `lock`. An NSLock (a pthread
    // mutex) rather than Synchronization.Mutex: ThreadSanitizer on Linux reports false
    // races through Mutex (notes/swift-systems.md §4) and this lock is taken by every
    // reflector thread.
    public enum Origin: Sendable, Equatable {
        case fixed(String)
        case file(String)
    }

    public let origin: Origin
    let refresh: Double
    private let lock = NSLock()
    private var token: String?
    private var readAt: Double = 0

    public init(_ origin: Origin, refresh: Double = 60) {
        self.origin = origin
        self.refresh = refresh
    }

    /// The token to send now.
    public func current() -> String? {
        switch origin {
        case .fixed(let t):
            return t
        case .file(let path):
            let now = Date().timeIntervalSince1970
            lock.lock()
            defer { lock.unlock() }
            if token == nil || now - readAt >= refresh {
                if let t = Self.read(path) { token = t }
                readAt = now
            }
            return token
        }
    }

    /// After a 401: the next `current()` reads the file again.
    public func invalidate() {
        lock.lock()
        readAt = 0
        lock.unlock()
    }

    func check(origin o: String) throws(KubeConfigError) {
        if case .file(let path) = origin, Self.read(path) == nil {
            throw KubeConfigError("\(o): cannot read a token from \(path)")
        }
    }

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let t = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }
}
