#if canImport(Glibc)
import Glibc
#endif

/// A configuration or environment problem found before serving: one line on stderr
/// and an exit status (2 for bad configuration or data, 1 for the environment).
struct StartupError: Error, CustomStringConvertible {
    let description: String
    let status: Int32
}

/// Writes one line to standard error (fd 2: `stderr` is not concurrency-safe in Swift 6).
func writeError(_ line: String) {
    let text = "sextant: error: " + line + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}
