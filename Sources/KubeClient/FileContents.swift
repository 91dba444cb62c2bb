import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A small file's bytes with open/read, not `FileManager.contents(atPath:)`, which leaks
/// its 4 KiB read buffer on an empty file (FoundationEssentials; found by FuzzKubeconfig)
/// and tokens are re-read every minute. Nil when it cannot be opened or read; at most
/// 16 MiB (a kubeconfig or a token, never more).
enum FileContents {
    static let limit = 16 << 20

    static func read(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = Data()
        var chunk = [UInt8](repeating: 0, count: 16384)
        while out.count <= limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                out.append(contentsOf: chunk[0..<n])
            } else if n == 0 {
                return out
            } else if errno != EINTR {
                return nil
            }
        }
        return nil
    }
}
