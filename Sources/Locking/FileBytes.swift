import Glibc

/// A file's bytes with open/read, read whole: zone files (as Knot and NSD read them) and
/// kubeconfigs and tokens (`KubeClient.FileContents`, which caps them).
///
/// Not `FileManager.contents(atPath:)` or `Data(contentsOf:)`: both leak their 4 KiB read
/// buffer on an empty file (FoundationEssentials; found by FuzzKubeconfig and
/// FuzzManifest), and tokens are read again every minute.
package enum FileBytes {
    /// Why a file was not read: the call that failed and its errno, or that it held more
    /// than the limit.
    package enum Failure: Error, Equatable {
        case open(Int32)
        case read(Int32)
        case tooLarge
    }

    /// The whole file, or why not; more than `limit` bytes is `.tooLarge`.
    package static func read(_ path: String, limit: Int = .max) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.open(errno)) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while out.count <= limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                out += chunk[0..<n]
            } else if n == 0 {
                return .success(out)
            } else if errno != EINTR {
                return .failure(.read(errno))
            }
        }
        return .failure(.tooLarge)
    }
}
