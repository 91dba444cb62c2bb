import CNetShim
import Glibc
import Testing

/// `cns_release_code_pages` (called by `sextant serve` once it serves, and after large
/// changes): the read-only segments' pages leave the process and come back on use.
@Suite struct CodePagesTests {
    /// Resident kilobytes of this process's executable mappings (`r-xp` lines of smaps).
    static func residentCodeKB() -> Int {
        guard let f = fopen("/proc/self/smaps", "r") else { return -1 }
        defer { fclose(f) }
        var total = 0, executable = false
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let first = text.first, first.isHexDigit, text.contains("-") {
                let fields = text.split(separator: " ")
                executable = fields.count > 1 && fields[1] == "r-xp"
            } else if executable, text.hasPrefix("Rss:") {
                total += Int(text.split(separator: " ")[1]) ?? 0
            }
        }
        return total
    }

    @Test func readOnlyPagesAreReleasedAndComeBackOnUse() {
        let before = Self.residentCodeKB()
        let released = cns_release_code_pages()
        let after = Self.residentCodeKB()
        // The test runner's code is megabytes; reading smaps again maps back a few pages.
        #expect(before > 1024)
        #expect(released > 1024 * 1024)
        #expect(after < before / 2, "resident code \(before) KiB before, \(after) KiB after")
        // Code and constants work after the drop: formatting, hashing, sorting.
        let words = ["delta", "alpha", "charlie", "bravo"].sorted()
        #expect(words == ["alpha", "bravo", "charlie", "delta"])
        #expect(Set(words).count == 4)
        #expect("\(released / released)" == "1")
    }
}
