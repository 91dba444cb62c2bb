import Foundation

/// What every fuzz target shares: the corpus replay of a plain build, and inputs that a
/// parser reads from a path written to memory-backed files.
public enum FuzzSupport {
    /// Runs `body` on every file named on the command line (folders: every file in them,
    /// sorted); prints how many. A crash is the failure, as under libFuzzer.
    public static func replay(_ body: (UnsafeRawBufferPointer) -> Void) {
        var files: [String] = []
        for arg in CommandLine.arguments.dropFirst() {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) else {
                FileHandle.standardError.write(Data("no such file: \(arg)\n".utf8))
                exit(2)
            }
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []
                files += names.sorted().map { arg + "/" + $0 }
            } else {
                files.append(arg)
            }
        }
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { continue }
            data.withUnsafeBytes { body($0) }
        }
        print("\(CommandLine.arguments[0].split(separator: "/").last ?? ""): \(files.count) inputs replayed")
    }

    /// A file in /dev/shm (or the temporary folder) holding `bytes`, for parsers that read
    /// a path; the same name each time in one process.
    public static func file(_ bytes: UnsafeRawBufferPointer, suffix: String) -> String {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(dir)/sextant-fuzz-\(getpid())\(suffix)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if fd >= 0 {
            var off = 0
            while off < bytes.count {
                let n = write(fd, bytes.baseAddress! + off, bytes.count - off)
                if n <= 0 { break }
                off += n
            }
            close(fd)
        }
        return path
    }
}
