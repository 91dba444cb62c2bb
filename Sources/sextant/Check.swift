#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import AnswerTable
import ClusterSet
import DNSWire
import Foundation
import Zones

/// `sextant check`: reads every zone file and manifest of a zones folder as the server
/// would and prints every problem as `file:line: error|warning: ...`, for the Git
/// repositories people keep these files in. Unlike the server, which refuses a folder
/// at its first bad file, it goes through them all. Exit status 1 when anything is
/// wrong (a file that does not load, or an object the server would skip), 0 otherwise.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a zones folder (zone files and manifests) as the server would read it.")

    @Option(name: .long, help: ArgumentHelp("The folder to check.", valueName: "DIR"))
    var zones: String = Serve.defaultZonesFolder

    @Option(name: .long, help: ArgumentHelp("Zone served even without a zone file; repeatable (as for serve).", valueName: "NAME"))
    var zone: [String] = []

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: zones, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StartupError(description: "\(zones): no such directory", status: 2)
        }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: zones)) ?? []).sorted().filter { !$0.hasPrefix(".") }
        var errors = 0, warnings = 0, objects = 0, files = 0
        var apexes: [DNSName: String] = [:]
        func say(_ line: String) { print(line) }

        for file in entries where ManifestFile.extensions.contains(where: { file.hasSuffix($0) }) {
            let path = (zones as NSString).appendingPathComponent(file)
            files += 1
            do {
                let m = try ManifestFile.load(path: path)
                objects += m.objects.count
                let starts = Self.documentLines(path: path)
                for p in m.problems {
                    warnings += 1
                    let line = p.document.flatMap { $0 <= starts.count ? ":\(starts[$0 - 1])" : nil } ?? ""
                    say("\(path)\(line): warning: \(p.object) is skipped: \(p.reason)")
                }
            } catch {
                errors += 1
                say("\(Self.located(error)): error: \(error.reason)")
            }
        }
        for file in entries where file.hasSuffix(".zone") {
            let path = (zones as NSString).appendingPathComponent(file)
            files += 1
            guard let origin = try? DNSName(String(file.dropLast(".zone".count))) else {
                errors += 1
                say("\(path): error: the file name does not give an origin")
                continue
            }
            do {
                let z = try ZoneFile.load(path: path, origin: origin)
                if let other = apexes[z.apex] {
                    errors += 1
                    say("\(path): error: zone \(z.apex) is already loaded from \(other)")
                }
                apexes[z.apex] = path
            } catch {
                errors += 1
                say("\(Self.located(error)): error: \(error.reason)")
            }
        }
        for z in zone where (try? DNSName(z)) == nil {
            errors += 1
            say("--zone \(z): error: not a domain name")
        }
        say("sextant check: \(files) files, \(objects) objects, \(apexes.count) zone files; \(errors) errors, \(warnings) objects skipped")
        if errors + warnings > 0 { throw ExitCode(1) }
    }

    static func located(_ e: ZoneFileError) -> String { e.line.map { "\(e.path):\($0)" } ?? e.path }

    /// Where each YAML document starts (1-based lines; JSON: the file is one document).
    static func documentLines(path: String) -> [Int] {
        guard path.hasSuffix(".yaml") || path.hasSuffix(".yml"),
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [1] }
        // A document starts at the first content line, and after each `---` line (a
        // leading `---` only opens the first one).
        var starts: [Int] = []
        var content = false
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("---") {
                if content || !starts.isEmpty { starts.append(i + 2) }
                content = true
            } else if !content && !line.allSatisfy(\.isWhitespace) && !line.hasPrefix("#") {
                starts.append(i + 1)
                content = true
            }
        }
        return starts.isEmpty ? [1] : starts
    }
}
