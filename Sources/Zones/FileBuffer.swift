import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes read into memory of their own (manifests that are not a JSON List:
/// those are read a window at a time, `ManifestFile.decodeJSONList`).
///
/// The bytes are copied with `read(2)` into an anonymous mapping, not mapped from the
/// file: a file truncated while it is read (an editor rewriting it in place during a
/// reload) ends the read early and fails the parse, where a file mapping would kill the
/// process with SIGBUS.
final class FileBuffer {
    /// The file's bytes; valid while this object lives.
    let data: Data

    /// Nil when the file cannot be read this way (empty, not a regular file, no such
    /// file, out of memory): the caller reads it the ordinary way, which says why.
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        let capacity = Int(st.st_size)
        guard let p = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            return nil
        }
        var count = 0
        while count < capacity {
            let n = read(fd, p + count, capacity - count)
            if n > 0 {
                count += n
            } else if n == 0 || errno != EINTR {
                break  // end of file (it shrank meanwhile) or an error: parse what was read
            }
        }
        data = Data(bytesNoCopy: p, count: count, deallocator: .custom { _, _ in munmap(p, capacity) })
    }
}
