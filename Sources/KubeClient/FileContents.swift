import FoundationEssentials
import Locking

/// A small file's bytes (`Locking.FileBytes`) as `Data`: nil when it cannot be opened or
/// read; at most 16 MiB (a kubeconfig or a token, never more).
enum FileContents {
    static let limit = 16 << 20

    static func read(_ path: String) -> Data? {
        guard case .success(let bytes) = FileBytes.read(path, limit: limit) else { return nil }
        return Data(bytes)
    }
}
