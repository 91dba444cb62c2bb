import Atomics

/// The round-robin positions of every rotating answer, shared by all DNS workers and
/// kept across answer tables so that a data change never restarts or reshuffles a
/// rotation.
///
/// A query on a rotating name does one relaxed atomic increment here: lock-free, and
/// touching shared memory only for services that rotate.
public final class RotationCounters: @unchecked Sendable {
    // @unchecked: the storage is fixed at init and every access to it is atomic.
    public let capacity: Int
    let storage: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>

    public init(capacity: Int, copying old: RotationCounters? = nil) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
        for i in 0..<self.capacity {
            let v = old.flatMap { i < $0.capacity ? $0.value(i) : nil } ?? 0
            (storage + i).initialize(to: UnsafeAtomic<Int>.Storage(v))
        }
    }

    deinit {
        storage.deinitialize(count: capacity)
        storage.deallocate()
    }

    @inline(__always)
    func atomic(_ i: Int) -> UnsafeAtomic<Int> { UnsafeAtomic(at: storage + i) }

    /// Returns the position and moves it on.
    @inline(__always)
    public func next(_ i: Int) -> Int {
        guard i < capacity else { return 0 }
        return atomic(i).loadThenWrappingIncrement(ordering: .relaxed)
    }

    /// `next` or `value` on storage reached without the object (an answer read from a
    /// table's block).
    @inline(__always)
    static func position(_ storage: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>, capacity: Int, _ i: Int, advance: Bool) -> Int {
        guard i < capacity else { return 0 }
        let a = UnsafeAtomic<Int>(at: storage + i)
        return advance ? a.loadThenWrappingIncrement(ordering: .relaxed) : a.load(ordering: .relaxed)
    }

    @inline(__always)
    public func value(_ i: Int) -> Int {
        guard i < capacity else { return 0 }
        return atomic(i).load(ordering: .relaxed)
    }
}
