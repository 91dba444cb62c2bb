/// Deadlines of upstream attempts, earliest first. An attempt that ends early leaves its
/// entry behind; the loop skips entries whose attempt no longer matches.
struct TimerHeap {
    struct Entry {
        var deadline: UInt64
        var fd: Int32
        var attempt: UInt64
    }

    private var heap: [Entry] = []

    var next: UInt64? { heap.first?.deadline }

    mutating func push(deadline: UInt64, fd: Int32, attempt: UInt64) {
        heap.append(Entry(deadline: deadline, fd: fd, attempt: attempt))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func popExpired(now: UInt64) -> Entry? {
        guard let top = heap.first, top.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
                if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
