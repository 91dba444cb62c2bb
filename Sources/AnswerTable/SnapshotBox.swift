import Atomics

extension AnswerTable: AtomicReference {}

/// Where the current answer table is published for the DNS workers.
///
/// Readers never lock: each keeps its own `SnapshotReader`, which only reads the shared
/// generation word until it moves (notes/swift-systems.md: a lock or atomic reference
/// load per query costs 5–10× more once two cores read).
public final class SnapshotBox: Sendable {
    private let generation = ManagedAtomic<Int>(0)
    private let current: ManagedAtomic<AnswerTable>

    public init(_ initial: AnswerTable) {
        current = ManagedAtomic(initial)
    }

    /// Swaps in a new table. Called by the writer (loader, watcher), rarely.
    public func publish(_ table: AnswerTable) {
        current.store(table, ordering: .releasing)
        generation.wrappingIncrement(ordering: .releasing)
    }

    public var table: AnswerTable { current.load(ordering: .acquiring) }
    public var currentGeneration: Int { generation.load(ordering: .acquiring) }

    public func reader() -> SnapshotReader { SnapshotReader(box: self) }
}

/// One worker's view of the current table. Owned by exactly one thread or serial queue.
public struct SnapshotReader {
    let box: SnapshotBox
    var cached: AnswerTable
    var cachedGeneration: Int

    package init(box: SnapshotBox) {
        self.box = box
        cachedGeneration = box.currentGeneration
        cached = box.table
    }

    /// The current table; one acquiring load and a compare unless the generation moved.
    /// Call once per batch of packets.
    @inline(__always)
    public mutating func get() -> AnswerTable {
        let g = box.currentGeneration
        if g != cachedGeneration {
            cachedGeneration = g
            cached = box.table
        }
        return cached
    }
}
