import FoundationEssentials
import Locking

/// The bearer token of requests: fixed, or read from a file that the kubelet rotates.
///
/// A file token is read again after `refresh` seconds (client-go: one minute) and at once
/// after a 401 (`invalidate`), opened by path each time so that the projected volume's
/// atomic symlink swap is followed. The last good token is kept if a read fails.
public final class TokenSource: Sendable {
    public enum Origin: Sendable, Equatable {
        case fixed(String)
        case file(String)
    }

    public let origin: Origin
    let refresh: Double
    private let state = Locked<(token: String?, readAt: Double)>((nil, 0))

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
            return state.withLock { s in
                if s.token == nil || now - s.readAt >= refresh {
                    if let t = Self.read(path) { s.token = t }
                    s.readAt = now
                }
                return s.token
            }
        }
    }

    /// After a 401: the next `current()` reads the file again.
    public func invalidate() {
        state.withLock { $0.readAt = 0 }
    }

    func check(origin o: String) throws(KubeConfigError) {
        if case .file(let path) = origin, Self.read(path) == nil {
            throw KubeConfigError("\(o): cannot read a token from \(path)")
        }
    }

    static func read(_ path: String) -> String? {
        guard let data = FileContents.read(path) else { return nil }
        let t = String(decoding: data, as: UTF8.self).trimmedWhitespace
        return t.isEmpty ? nil : t
    }
}
