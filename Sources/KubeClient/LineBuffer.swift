/// Cuts a byte stream into lines at `\n`, whatever the chunk, frame or read boundaries
/// (kubernetes-watch.md §5.2). A line longer than `maxLine` is an error.
struct LineBuffer {
    private var pending: [UInt8] = []
    let maxLine: Int

    init(maxLine: Int) { self.maxLine = maxLine }

    /// Appends `bytes` and hands each complete line (without `\n`) to `line`, which
    /// returns false to stop. Returns false when stopped or when a line is too long.
    mutating func append(_ bytes: UnsafeRawBufferPointer, line: ([UInt8]) -> Bool) -> Bool {
        var start = 0
        for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "\n") {
            pending.append(contentsOf: bytes[start..<i])
            start = i + 1
            let l = pending
            pending.removeAll(keepingCapacity: true)
            if l.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
            if !line(l) { return false }
        }
        pending.append(contentsOf: bytes[start...])
        return pending.count <= maxLine
    }

    var isEmpty: Bool { pending.allSatisfy { $0 == 32 || $0 == 13 || $0 == 9 } }
}
