import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn, its output in a file, for programs that
/// Foundation's `Process` cannot watch: Foundation learns that a child ended when a
/// socket the child inherited closes, and daemons such as dnsmasq close every inherited
/// descriptor at start, after which `Process` blocks in wait4 on them and reaps no other
/// child. Descriptors above 2 are closed in the child, so that it holds no other test's
/// pipe open.
final class SpawnedProcess {
    let pid: pid_t
    private var exited = false
    /// The wait status once reaped.
    private(set) var waitStatus: Int32?

    init(_ argv: [String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc 2.34's closefrom action; Swift's Glibc module does not declare it.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            throw HarnessError("this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later)")
        }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cargs.append(nil)
        defer { for p in cargs { free(p) } }
        var child = pid_t()
        let rc = posix_spawn(&child, argv[0], &actions, nil, cargs, environ)
        guard rc == 0 else { throw HarnessError("posix_spawn \(argv[0]): \(String(cString: strerror(rc)))") }
        pid = child
    }

    var isRunning: Bool {
        if exited { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exited = true; waitStatus = status }
        return !exited
    }

    /// SIGTERM, then SIGKILL after 5 s; reaps it.
    func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while isRunning && Date() < deadline { usleep(20_000) }
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            exited = true
        }
    }

    /// Waits for the end; the exit status (128 + signal for a signal).
    func wait() -> Int32 {
        if !exited {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exited = true
            waitStatus = status
        }
        let s = waitStatus ?? 0
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }

    /// Runs `argv` to its end: its exit status and its output (stdout and stderr).
    static func run(_ argv: [String]) throws -> (status: Int32, output: String) {
        let log = NSTemporaryDirectory() + "sextant-run-\(getpid())-\(UUID().uuidString.prefix(8)).log"
        defer { unlink(log) }
        let p = try SpawnedProcess(argv, log: log)
        let status = p.wait()
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    deinit { stop() }
}
