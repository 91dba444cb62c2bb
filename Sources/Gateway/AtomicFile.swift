#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Locking

/// A file replaced whole: written to a hidden temporary file beside it, then renamed over
/// it, so a reader (another gateway, a DNS server watching its zones folder with inotify)
/// never sees half of it. The temporary name starts with a dot: folders that skip hidden
/// files (the zones folder, the exchange folder) never read it.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws(GatewayError) {
        let dir = PathName.parent(of: path)
        let temporary = (dir.isEmpty ? "" : dir + "/") + "." + PathName.last(of: path) + ".\(getpid()).tmp"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw GatewayError("cannot write \(temporary): \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw GatewayError("cannot rename \(temporary) to \(path): \(String(cString: strerror(e)))", errno: e)
        }
    }
}
