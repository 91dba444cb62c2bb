#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ClusterSet
import DNSWire
import FoundationEssentials
import Locking
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
        Signals.unblock()
        guard PathName.isDirectory(zones) == true else {
            throw StartupError(description: "\(zones): no such directory", status: 2)
        }
        let files = ZoneFolder.files((try? FileManager.default.contentsOfDirectory(atPath: zones)) ?? [])
        var errors = 0, warnings = 0, objects = 0
        var apexes: [DNSName: String] = [:]
        func say(_ line: String) { print(line) }

        for file in files.manifests {
            let path = PathName.join(zones, file)
            do {
                let m = try ManifestFile.load(path: path)
                objects += m.objects.count
                for p in m.problems {
                    warnings += 1
                    say("\(path)\(p.line.map { ":\($0)" } ?? ""): warning: \(p.object) is skipped: \(p.reason)")
                }
            } catch {
                errors += 1
                say("\(error.location): error: \(error.reason)")
            }
        }
        for file in files.zoneFiles {
            let path = PathName.join(zones, file)
            do {
                let z = try ZoneFolder.loadZone(path: path, file: file)
                if let other = apexes[z.apex] {
                    errors += 1
                    say("\(path): error: zone \(z.apex) is already loaded from \(other)")
                }
                apexes[z.apex] = path
            } catch {
                errors += 1
                say("\(error.location): error: \(error.reason)")
            }
        }
        for z in zone where (try? DNSName(z)) == nil {
            errors += 1
            say("--zone \(z): error: not a domain name")
        }
        say("sextant check: \(files.manifests.count + files.zoneFiles.count) files, \(objects) objects, \(apexes.count) zone files; \(errors) errors, \(warnings) objects skipped")
        if errors + warnings > 0 { throw ExitCode(1) }
    }
}
