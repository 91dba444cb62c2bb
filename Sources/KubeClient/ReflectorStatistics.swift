import Locking

/// What one reflector has been through, for the metrics endpoint: lists after the first
/// and watch restarts, each by a reason from a fixed set (never a message or a name).
public final class ReflectorStatistics: Sendable {
    /// Why a watch (or a list) ended and was opened again.
    public enum Restart: String, CaseIterable, Sendable {
        /// The server ended the watch at its timeout: the normal case.
        case timeout
        case transport, stalled, gone, malformed, throttled, unauthorized, unavailable
        case serverError = "server_error"
        case other
    }

    /// Why a kind was listed again after its first list.
    public enum Relist: String, CaseIterable, Sendable {
        /// 410 Gone: the watch's version is too old.
        case gone
        /// The resource came back after a 403 or 404.
        case unavailable
        /// Another error that restarts with a list.
        case error
    }

    private let counts = Locked<(lists: Int, restarts: [Restart: Int], relists: [Relist: Int])>((0, [:], [:]))

    public init() {}

    func restarted(_ why: Restart) { counts.withLock { $0.restarts[why, default: 0] += 1 } }

    /// A complete list; `why` nil for the first.
    func listed(_ why: Relist?) {
        counts.withLock { c in
            c.lists += 1
            if let why { c.relists[why, default: 0] += 1 }
        }
    }

    public var lists: Int { counts.withLock { $0.lists } }
    public var restarts: [Restart: Int] { counts.withLock { $0.restarts } }
    public var relists: [Relist: Int] { counts.withLock { $0.relists } }
}
