extension NameTable {
    /// Groups type entries into one run per node, in type order within a run (stable: a
    /// type given twice keeps its first entry first). Both compilers assemble tables
    /// with it. On return `first[n]` and `count[n]` locate node `n`'s run in `types`;
    /// the arrays are the caller's, so the service compiler reuses them table to table.
    static func groupTypes(_ pending: [(node: Int32, entry: TypeEntry)], nodeCount: Int,
                           types: inout [TypeEntry], first: inout [Int], count: inout [Int]) {
        count.removeAll(keepingCapacity: true)
        count.append(contentsOf: repeatElement(0, count: nodeCount))
        for p in pending { count[Int(p.node)] += 1 }
        first.removeAll(keepingCapacity: true)
        var next = 0
        for n in 0..<nodeCount {
            first.append(next)
            next += count[n]
            count[n] = 0  // counts again as the runs fill
        }
        types.removeAll(keepingCapacity: true)
        types.append(contentsOf: repeatElement(.init(type: 0, answer: .none, rotation: noRotation), count: pending.count))
        for p in pending {
            let n = Int(p.node)
            let start = first[n]
            // Insertion by type within the run: a handful of entries.
            var at = start + count[n]
            while at > start && types[at - 1].type > p.entry.type {
                types[at] = types[at - 1]
                at -= 1
            }
            types[at] = p.entry
            count[n] += 1
        }
    }
}
