#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes a window at a time: what the reader still needs (from its mark) moves
/// to the front, the rest of the window is filled from the file. The List scan
/// (`JSONListScanner`) and the one-pass read (`ManifestFile.streamJSONList`) read
/// through it.
final class WindowReader {
    let fd: Int32
    /// Where the next read starts in the file (pread: the descriptor's position is
    /// not used).
    private var offset = 0
    private(set) var buffer: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    private(set) var atEnd = false
    private(set) var failed = false

    init(fd: Int32, capacity: Int) {
        self.fd = fd
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Keeps the `keep` bytes at `from` (moved to the front) and reads more after
    /// them; how many bytes the window holds now, or nil at the end of the file.
    func refill(keeping keep: Int, from: Int) -> Int? {
        guard !atEnd else { return nil }
        if keep > capacity / 2 {
            // An item about as large as the window: the window grows.
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer + from, count: keep)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        } else if keep > 0 && from > 0 {
            memmove(buffer, buffer + from, keep)
        }
        while true {
            let n = pread(fd, buffer + keep, capacity - keep, off_t(offset))
            if n > 0 {
                offset += n
                return keep + n
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { failed = true }
            atEnd = true
            return nil
        }
    }
}
