import CNetShim
import Foundation
import Testing

/// `cns_cgroup_cpu_limit` on cgroup files laid out as the kernel does (cgroup v2), and
/// `cns_usable_cpus` on this machine.
@Suite struct UsableCPUsTests {
    /// A fake `/proc/self/cgroup` and `/sys/fs/cgroup` tree: `limits` maps a group path
    /// ("" for the root) to its `cpu.max` text.
    static func limit(group: String?, limits: [String: String]) throws -> Int32 {
        let dir = NSTemporaryDirectory() + "sextant-cgroup-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = dir + "/sys"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let proc = dir + "/cgroup"
        let lines = ["12:memory:/v1-group", group.map { "0::\($0)" }].compactMap { $0 }
        try (lines.joined(separator: "\n") + "\n").write(toFile: proc, atomically: true, encoding: .utf8)
        for (path, text) in limits {
            try FileManager.default.createDirectory(atPath: root + path, withIntermediateDirectories: true)
            try text.write(toFile: root + path + "/cpu.max", atomically: true, encoding: .utf8)
        }
        return cns_cgroup_cpu_limit(proc, root)
    }

    @Test func limitsAreReadInWholeCPUsRoundedUp() throws {
        let pod = "/kubepods.slice/kubepods-burstable.slice/pod1"
        #expect(try Self.limit(group: pod, limits: [pod: "100000 100000\n"]) == 1)
        #expect(try Self.limit(group: pod, limits: [pod: "150000 100000\n"]) == 2)
        #expect(try Self.limit(group: pod, limits: [pod: "50000 100000\n"]) == 1)
        #expect(try Self.limit(group: pod, limits: [pod: "400000 100000\n"]) == 4)
        // No limit, or none readable: 0.
        #expect(try Self.limit(group: pod, limits: [pod: "max 100000\n"]) == 0)
        #expect(try Self.limit(group: pod, limits: [:]) == 0)
        #expect(try Self.limit(group: nil, limits: ["": "200000 100000"]) == 2)
        #expect(try Self.limit(group: pod, limits: [pod: "garbage"]) == 0)
        #expect(try Self.limit(group: pod, limits: [pod: "12x 100000"]) == 0)
        #expect(try Self.limit(group: pod, limits: [pod: "-5 100000"]) == 0)
        #expect(try Self.limit(group: pod, limits: [pod: "100000 0"]) == 0)
    }

    /// Limits nest: the smallest of the group's and its ancestors' holds; a container
    /// in its own cgroup namespace sees its group as the root ("0::/").
    @Test func theSmallestLimitUpTheTreeHolds() throws {
        let container = "/kubepods.slice/pod1/container1"
        #expect(try Self.limit(group: container, limits: [container: "max 100000", "/kubepods.slice/pod1": "200000 100000"]) == 2)
        #expect(try Self.limit(group: container, limits: [container: "300000 100000", "/kubepods.slice": "100000 100000"]) == 1)
        #expect(try Self.limit(group: "/", limits: ["": "250000 100000"]) == 3)
    }

    @Test func usableCPUsAreBetweenOneAndTheOnlineCount() {
        let n = cns_usable_cpus()
        #expect(n >= 1)
        #expect(Int(n) <= Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
