#if canImport(Glibc)
import Glibc
#endif
import ClusterSet
import FastJSON
import FoundationEssentials
import Locking
import Logging

/// `--state-file`: the API server's objects kept on disk, so that a restarted server
/// answers at once, before the API server is reached (answers marked stale, EDE 3,
/// until the first full list replaces them).
///
/// Written atomically (a temporary file beside it, fsync, rename, fsync of the folder):
/// a crash leaves the old file or the new one, never half of one. Read defensively: a
/// corrupt, truncated or foreign file is logged and ignored, never fatal.
public struct StateFile: Sendable {
    public let path: String

    /// The format's name and version, checked on read.
    static let kind = "SextantState"
    static let version = 1

    public init(path: String) { self.path = path }

    /// What was saved, with when; nil when there is no file or it cannot be used (logged).
    public func load(logger: Logger) -> (objects: [KubeObject], written: String)? {
        guard FileManager.default.fileExists(atPath: path) else {
            logger.info("no state file yet", metadata: ["path": "\(path)"])
            return nil
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            logger.warning("state file cannot be read; ignored", metadata: ["path": "\(path)", "reason": "\(error)"])
            return nil
        }
        guard let root = data.withUnsafeBytes({ JSONCursor.parse($0) }) as? [String: Any] else {
            logger.warning("state file is not valid JSON (corrupt or cut short); ignored", metadata: ["path": "\(path)", "bytes": "\(data.count)"])
            return nil
        }
        guard root["kind"] as? String == Self.kind, root["version"] as? Int == Self.version, let items = root["objects"] as? [Any] else {
            logger.warning("state file is not Sextant's (kind \(Self.kind), version \(Self.version)); ignored", metadata: ["path": "\(path)"])
            return nil
        }
        var objects: [KubeObject] = []
        var skipped = 0
        for item in items {
            guard let o = item as? [String: Any], let kind = KubeObject.kind(apiVersion: o["apiVersion"] as? String ?? "", kind: o["kind"] as? String ?? ""),
                  let json = JSONWriter.bytes(o), let object = try? KubeObject.decode(kind: kind, json: Data(json)) else {
                skipped += 1
                continue
            }
            objects.append(object)
        }
        if skipped > 0 { logger.warning("state file: \(skipped) objects could not be read and are left out", metadata: ["path": "\(path)"]) }
        return (objects, root["written"] as? String ?? "")
    }

    /// Replaces the file with `objects`, atomically.
    public func write(_ objects: [KubeObject]) throws(StateFileError) {
        let root: [String: Any] = ["kind": Self.kind, "version": Self.version, "written": Self.now(),
                                   "objects": objects.sorted { $0.key < $1.key }.map(\.jsonObject)]
        guard let data = JSONWriter.bytes(root) else {
            throw StateFileError("the objects cannot be written as JSON")
        }
        let dir = PathName.parent(of: path).isEmpty ? "." : PathName.parent(of: path)
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StateFileError("\(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        let failure: String? = data.withUnsafeBytes { raw -> String? in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return String(cString: strerror(errno)) }
                written += n
            }
            return fsync(fd) == 0 ? nil : String(cString: strerror(errno))
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw StateFileError("\(temporary): \(failure)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw StateFileError("\(path): rename: \(reason)")
        }
        // The rename itself is durable once the folder is synced.
        let dirFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    static func now() -> String {
        Date().formatted(Date.ISO8601FormatStyle())
    }
}
