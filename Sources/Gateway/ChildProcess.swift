#if canImport(Glibc)
import Glibc
#endif

/// Programs the gateway starts: wireguard-go (kept running and watched) and the
/// node's iptables (run to completion, input on stdin, output read back).
///
/// posix_spawn rather than Foundation's Process: Process learns of a child's end through
/// inherited descriptors, which daemons close; and descriptors above 2 are closed in the
/// child so it holds no socket of ours open.
public final class ChildProcess {
    public let pid: pid_t
    public private(set) var exitStatus: Int32?

    /// Starts `argv` (looked up in PATH) with stdin from /dev/null and its output on ours.
    public init(_ argv: [String], environment: [String: String] = [:]) throws(GatewayError) {
        pid = try Self.spawn(argv, environment: environment, stdin: nil, stdout: nil)
    }

    /// Reaps the child if it has ended; true while it runs.
    public var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
        return exitStatus == nil
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; reaps it.
    public func stop(grace: Double = 3) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        var waited = 0.0
        while isRunning && waited < grace { usleep(20_000); waited += 0.02 }
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            exitStatus = status
        }
    }

    /// Runs `argv` to its end with `input` on stdin; returns its exit status and its
    /// stdout and stderr together.
    public static func run(_ argv: [String], input: String = "") throws(GatewayError) -> (status: Int32, output: String) {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0 else {
            throw GatewayError("pipe: \(String(cString: strerror(errno)))", errno: errno)
        }
        for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try spawn(argv, environment: [:], stdin: inPipe[0], stdout: outPipe[1])
        } catch {
            for fd in inPipe + outPipe { close(fd) }
            throw error
        }
        close(inPipe[0]); close(outPipe[1])
        let bytes = Array(input.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            sent += n
        }
        close(inPipe[1])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output += chunk[0..<n]
        }
        close(outPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }

    private static func spawn(_ argv: [String], environment: [String: String], stdin: Int32?, stdout: Int32?) throws(GatewayError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let i = stdin { posix_spawn_file_actions_adddup2(&actions, i, 0) } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let o = stdout {
            posix_spawn_file_actions_adddup2(&actions, o, 1)
            posix_spawn_file_actions_adddup2(&actions, o, 2)
        }
        // glibc 2.34's closefrom action; Swift's Glibc module does not declare it.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The gateway blocks SIGTERM/SIGINT for its signal source; the child gets them back.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = environment
        var i = 0
        while let e = environ[i] {
            let s = String(cString: e)
            if let eq = s.firstIndex(of: "="), env[String(s[..<eq])] == nil { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            i += 1
        }
        var cenv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") }
        cenv.append(nil)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cargs.append(nil)
        defer { for p in cargs + cenv { free(p) } }
        var child = pid_t()
        let rc = posix_spawnp(&child, argv[0], &actions, &attributes, cargs, cenv)
        guard rc == 0 else { throw GatewayError("cannot start \(argv[0]): \(String(cString: strerror(rc)))", errno: rc) }
        return child
    }
}
