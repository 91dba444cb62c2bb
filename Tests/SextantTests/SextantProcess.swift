import Foundation

/// The built `sextant` binary, started on a free loopback port for one test.
final class SextantProcess {
    private(set) var process = Process()
    private var stdoutPipe = Pipe()
    private var stderrPipe = Pipe()
    /// Bound addresses as printed by the server (`127.0.0.1:40123`, `[::1]:40123`).
    private(set) var addresses: [String] = []
    /// The HTTP endpoint's bound address (`127.0.0.1:40124`), nil with `--http off`.
    private(set) var httpAddress: String?
    var port: UInt16 {
        guard let a = addresses.first, let p = a.split(separator: ":").last.flatMap({ UInt16($0) }) else { return 0 }
        return p
    }

    /// Next to the test bundle: SwiftPM builds `sextant` into the same folder.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The xctest bundle on Linux is a plain executable in the build folder.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("sextant").path
    }

    /// Starts `sextant serve` with `arguments`, adding `--listen` on a free port below the
    /// ephemeral range (`freeLoopbackPort`: never one a `dig` of another test is given)
    /// unless a `--listen` is given, and waits until it prints its bound addresses.
    init(_ arguments: [String], listens: Int? = nil) throws {
        let choosesPort = !arguments.contains("--listen")
        var attempt = 0
        while true {
            var args = ["serve"] + arguments
            if choosesPort { args += ["--listen", "127.0.0.1:\(try freeLoopbackPort())"] }
            // Tests run side by side: each its own HTTP port (the default 9153 would clash).
            if !arguments.contains("--http") { args += ["--http", "127.0.0.1:0"] }
            do {
                try start(args, arguments: arguments, listens: listens)
                return
            } catch let e as HarnessError where choosesPort && attempt < 5 && e.description.contains("Address already in use") {
                // Another test took the port between the check and the bind: another port.
                attempt += 1
                process = Process()
                stdoutPipe = Pipe()
                stderrPipe = Pipe()
                addresses = []
                httpAddress = nil
            }
        }
    }

    private func start(_ args: [String], arguments: [String], listens: Int?) throws {
        let wantsHTTP = !(arguments.firstIndex(of: "--http").map { arguments[$0 + 1] == "off" } ?? false)
        let expected = listens ?? max(1, arguments.filter { $0 == "--listen" }.count)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = args
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while (addresses.count < expected || (wantsHTTP && httpAddress == nil)) && Date() < deadline {
            let data = stdoutPipe.fileHandleForReading.availableData
            if data.isEmpty { break }  // EOF: the server exited
            text += String(decoding: data, as: UTF8.self)
            addresses = text.split(separator: "\n").compactMap { line in
                guard let r = line.range(of: "listening on ") else { return nil }
                return line[r.upperBound...].split(separator: " ").first.map(String.init)
            }
            httpAddress = text.split(separator: "\n").lazy.compactMap { line -> String? in
                guard let r = line.range(of: "sextant: http on ") else { return nil }
                return String(line[r.upperBound...])
            }.first
        }
        if addresses.count < expected {
            process.terminate()
            process.waitUntilExit()
            let err = String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw HarnessError("sextant did not start: \(err)")
        }
    }

    var isRunning: Bool { process.isRunning }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Stops the server; everything it wrote to stderr.
    func stopAndReadStderr() -> String {
        stop()
        return String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// GET (or another method) on the HTTP endpoint with curl: status and body.
    func http(_ path: String, method: String = "GET", extraArgs: [String] = []) throws -> (status: Int, body: String) {
        guard let address = httpAddress else { throw HarnessError("no HTTP endpoint") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-m", "5", "-X", method, "-w", "\n%{http_code}", "http://\(address)\(path)"] + extraArgs
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let nl = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: nl)...]) else {
            throw HarnessError("curl \(path): \(text)")
        }
        return (status, String(text[..<nl]))
    }

    deinit { stop() }

    /// Runs the binary to completion (for start-up failures): status and stderr.
    static func runToExit(_ arguments: [String]) throws -> (status: Int32, stderr: String, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        var arguments = arguments
        if arguments.first == "serve" && !arguments.contains("--http") && !arguments.contains("--help") {
            arguments += ["--http", "127.0.0.1:0"]
        }
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let timer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: timer)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        timer.cancel()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self), String(decoding: o, as: UTF8.self))
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs `dig` against the server and returns its output.
func dig(_ server: SextantProcess, _ args: [String], at host: String = "127.0.0.1") throws -> String {
    try dig(port: server.port, args, at: host)
}

/// Runs `dig` against any DNS server on this machine and returns its output.
func dig(port: UInt16, _ args: [String], at host: String = "127.0.0.1") throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/dig")
    p.arguments = ["@\(host)", "-p", "\(port)", "+time=3", "+tries=1"] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// What a dig answer says, pulled out of its text.
struct DigResult {
    let text: String
    var status: String? { field(after: "status: ", until: ",") }
    var flags: Set<String> {
        guard let f = field(after: ";; flags: ", until: ";") else { return [] }
        return Set(f.split(separator: " ").map(String.init))
    }
    func field(after marker: String, until end: Character) -> String? {
        guard let r = text.range(of: marker) else { return nil }
        return String(text[r.upperBound...].prefix(while: { $0 != end }))
    }
    /// Records of a section, as whitespace-separated fields.
    func section(_ name: String) -> [[String]] {
        guard let r = text.range(of: ";; \(name) SECTION:\n") else { return [] }
        return text[r.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix(while: { !$0.isEmpty })
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
    }
    var hasOPT: Bool { text.contains("OPT PSEUDOSECTION") }
}
