import ClusterSet
import KubeClient

/// One watched kind as operators see it: whether it has been listed, what its reflector
/// went through, and its events. For `/ready`, `/metrics` and `/debug/state`.
public struct SyncReport: Sendable {
    public var kind: ObjectKind
    /// The API resource (`serviceimports`, `endpointslices`, `gateways`).
    public var resource: String
    /// Listed once (or found absent): its objects are in the store.
    public var listed: Bool
    /// The server answered 403 or 404 last.
    public var unavailable: Bool
    public var lists: Int
    public var relists: [ReflectorStatistics.Relist: Int]
    public var restarts: [ReflectorStatistics.Restart: Int]
    public var upserts: Int
    public var deletes: Int
    public var rejected: Int

    public init(kind: ObjectKind, resource: String, listed: Bool, unavailable: Bool, lists: Int,
                relists: [ReflectorStatistics.Relist: Int], restarts: [ReflectorStatistics.Restart: Int],
                upserts: Int, deletes: Int, rejected: Int) {
        self.kind = kind
        self.resource = resource
        self.listed = listed
        self.unavailable = unavailable
        self.lists = lists
        self.relists = relists
        self.restarts = restarts
        self.upserts = upserts
        self.deletes = deletes
        self.rejected = rejected
    }
}
