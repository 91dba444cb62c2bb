#if canImport(Glibc)
import Glibc
#endif

/// The process's own resource use from /proc (Linux), for `/metrics`.
struct ProcessStats {
    var residentBytes: Double
    var cpuSeconds: Double
    var openFDs: Int
    var maxFDs: Int
    /// Seconds since the Unix epoch.
    var startTime: Double

    static func read() -> ProcessStats {
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var s = ProcessStats(residentBytes: 0, cpuSeconds: 0, openFDs: 0, maxFDs: 0, startTime: 0)
        if let statm = file("/proc/self/statm") {
            let f = statm.split(separator: " ")
            if f.count > 1, let pages = Double(f[1]) { s.residentBytes = pages * page }
        }
        if let stat = file("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
            // Fields after the command name (which may hold spaces): state is field 3.
            let f = stat[stat.index(after: close)...].split(separator: " ")
            if f.count > 19, let utime = Double(f[11]), let stime = Double(f[12]), let start = Double(f[19]) {
                s.cpuSeconds = (utime + stime) / ticks
                s.startTime = bootTime() + start / ticks
            }
        }
        if let dir = opendir("/proc/self/fd") {
            while let e = readdir(dir) { if e.pointee.d_name.0 != UInt8(ascii: ".") { s.openFDs += 1 } }
            closedir(dir)
            s.openFDs -= 1  // the directory's own descriptor
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { s.maxFDs = Int(limit.rlim_cur) }
        return s
    }

    static func bootTime() -> Double {
        guard let stat = file("/proc/stat") else { return 0 }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6)) ?? 0
        }
        return 0
    }

    /// A small /proc file's text.
    static func file(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
