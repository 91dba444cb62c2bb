#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

// Before anything can start a thread: the stop signals are blocked, to be read from a
// signalfd by the long-running commands (Signals); the short ones unblock them again.
Signals.block()

// Bad flags end with one clear line and exit status 2; --help prints help and exits 0.
do {
    var command = try Sextant.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)  // a command's own status (`sextant check`: 1 when anything is wrong)
} catch {
    let code = Sextant.exitCode(for: error)
    if code == .success {
        print(Sextant.fullMessage(for: error))
        exit(0)
    }
    if let startup = error as? StartupError {
        writeError(startup.description)
        exit(startup.status)
    }
    let message = Sextant.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    // The subcommand named on the command line (serve when none is).
    let known = ["serve", "check", "show", "gateway"]
    let command = CommandLine.arguments.dropFirst().first { known.contains($0) } ?? "serve"
    writeError(message + " (see 'sextant \(command) --help')")
    exit(2)
}
