import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file mapped read-only, so that reading it costs page cache, not heap: a 192 MB
/// manifest (100,000 services) read into memory was two thirds of the start-up's peak.
/// Pages already read are dropped from the process's resident memory with `release`
/// (they stay in the page cache; reading them again faults them back in).
final class MappedFile {
    /// The file's bytes; valid while this object lives (the mapping goes with it).
    let data: Data
    private let base: UnsafeMutableRawPointer
    private let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Nil when the file cannot be mapped (empty, not a regular file, no such file):
    /// the caller reads it the ordinary way, which reports why.
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        let size = Int(st.st_size)
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
        base = p
        data = Data(bytesNoCopy: p, count: size, deallocator: .unmap)
    }

    /// Drops the whole pages inside `range` from resident memory.
    func release(_ range: Range<Int>) {
        let start = (range.lowerBound + page - 1) / page * page
        let end = min(range.upperBound, data.count) / page * page
        guard end > start else { return }
        _ = madvise(base + start, end - start, MADV_DONTNEED)
    }
}
