import Foundation
import Testing

/// The zones folder is watched: a Kubernetes ConfigMap update (a new timestamped folder,
/// the `..data` link renamed over the old one) is served within a second; a bad file
/// keeps the old data and logs one error naming the file and line.
@Suite struct ZonesWatchTests {
    static func shop(_ address: String) -> String { ForwarderTests.clusterSetIP("web", "shop", cluster: "c1", address: address) }

    /// Lays out a folder the way the kubelet mounts a ConfigMap.
    static func configMapVersion(_ dir: String, _ version: String, files: [String: String]) throws {
        let fm = FileManager.default
        let data = dir + "/..\(version)"
        try fm.createDirectory(atPath: data, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: data + "/" + name, atomically: true, encoding: .utf8) }
        // ..data_tmp -> ..<version>, renamed over ..data: one atomic switch.
        try? fm.removeItem(atPath: dir + "/..data_tmp")
        try fm.createSymbolicLink(atPath: dir + "/..data_tmp", withDestinationPath: "..\(version)")
        guard rename(dir + "/..data_tmp", dir + "/..data") == 0 else { throw HarnessError("rename ..data: \(errno)") }
        for name in files.keys where (try? fm.destinationOfSymbolicLink(atPath: dir + "/" + name)) == nil {
            try fm.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: "..data/" + name)
        }
    }

    @Test func aConfigMapUpdateIsServedWithinASecond() throws {
        let dir = NSTemporaryDirectory() + "sextant-cm-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.configMapVersion(dir, "2026_12_04_10_00_00.1", files: ["shop.yaml": Self.shop("10.40.0.1")])
        let s = try SextantProcess(["--zones", dir])
        #expect(try dig(s, ["+short", "web.shop.svc.clusterset.local"]) == "10.40.0.1\n")

        for (i, address) in ["10.40.0.2", "10.40.0.3", "10.40.0.4"].enumerated() {
            let start = Date()
            try Self.configMapVersion(dir, "2026_12_04_10_0\(i + 1)_00.1", files: ["shop.yaml": Self.shop(address)])
            var seen = 0.0
            while Date().timeIntervalSince(start) < 3 {
                if try dig(s, ["+short", "web.shop.svc.clusterset.local"]) == "\(address)\n" { seen = Date().timeIntervalSince(start); break }
                usleep(20_000)
            }
            #expect(seen > 0 && seen <= 1, "update \(i + 1): \(seen > 0 ? "\(seen) s" : "not served within 3 s")")
        }

        // A plain edit of a file in the folder, and a new zone file.
        try """
            $ORIGIN clusterset.local.
            @ 30 IN SOA ns.clusterset.local. admin.clusterset.local. 7 3600 600 86400 3
            @ 30 IN NS ns.clusterset.local.
            ns 30 IN A 192.0.2.53
            """.write(toFile: dir + "/clusterset.local.zone", atomically: true, encoding: .utf8)
        #expect(eventually(2) { ((try? dig(s, ["+short", "ns.clusterset.local"])) ?? "") == "192.0.2.53\n" })
    }

    @Test func aBadFileKeepsTheOldDataAndNamesFileAndLine() throws {
        let dir = try zonesFolder(["shop.yaml": Self.shop("10.41.0.1")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try SextantProcess(["--zones", dir])
        try Self.shop("10.41.0.2").write(toFile: dir + "/shop.yaml", atomically: true, encoding: .utf8)
        #expect(eventually(2) { ((try? dig(s, ["+short", "web.shop.svc.clusterset.local"])) ?? "") == "10.41.0.2\n" })

        try "$ORIGIN clusterset.local.\n@ 30 IN SOA ns admin 1 2 3 4 5\nthis is not a record\n"
            .write(toFile: dir + "/clusterset.local.zone", atomically: true, encoding: .utf8)
        try Self.shop("10.41.0.3").write(toFile: dir + "/shop.yaml", atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 1)
        // The folder as a whole is refused: the old data stays, the new shop.yaml too waits.
        #expect(try dig(s, ["+short", "web.shop.svc.clusterset.local"]) == "10.41.0.2\n")
        try FileManager.default.removeItem(atPath: dir + "/clusterset.local.zone")
        #expect(eventually(2) { ((try? dig(s, ["+short", "web.shop.svc.clusterset.local"])) ?? "") == "10.41.0.3\n" })
        let log = s.stopAndReadStderr()
        let errors = log.split(separator: "\n").filter { $0.contains("error") && $0.contains("clusterset.local.zone:3") }
        #expect(errors.count >= 1, "\(log)")
    }
}
