import Foundation
import Testing

/// `sextant check`: every problem of a zones folder, as file:line, and the exit status.
@Suite struct CheckTests {
    @Test func everyProblemWithFileAndLine() throws {
        let dir = try zonesFolder([
            "clusterset.local.zone": "$ORIGIN clusterset.local.\n@ 30 IN SOA ns admin 1 2 3 4 5\n@ 30 IN NS ns\n",
            "example.org.zone": "$ORIGIN example.org.\n@ 30 IN SOA ns admin 1 2 3 4 5\nwww 30 IN A 300.1.1.1\n",
            "broken.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
            "objects.yaml": ForwarderTests.clusterSetIP("web", "shop", cluster: "c1", address: "10.50.0.1")
                + "---\napiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceImport\nmetadata: {namespace: shop}\nspec: {type: ClusterSetIP}\n",
            "list.json": #"{"kind": "List", "items": [{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try SextantProcess.runToExit(["check", "--zones", dir])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix(dir + "/example.org.zone:3: error:") }, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix(dir + "/broken.yml:") && $0.contains(": error: not valid YAML") }, "\(r.stdout)")
        // The second document of objects.yaml starts after the first's 22 lines and `---`.
        let objectLine = try #require(lines.first { $0.hasPrefix(dir + "/objects.yaml:") }, "\(r.stdout)")
        #expect(objectLine.contains(": warning: ") && objectLine.contains("metadata.name"), "\(objectLine)")
        let first = ForwarderTests.clusterSetIP("web", "shop", cluster: "c1", address: "10.50.0.1").split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(objectLine.hasPrefix(dir + "/objects.yaml:\(first + 1): "), "\(objectLine), first document \(first) lines")
        #expect(lines.contains { $0.hasPrefix(dir + "/list.json") && $0.contains("warning") }, "\(r.stdout)")
        #expect(lines.last?.hasPrefix("sextant check: 5 files") == true, "\(r.stdout)")
        #expect(lines.last?.contains("2 errors, 2 objects skipped") == true, "\(r.stdout)")

        // The server refuses the same folder at start (status 2), naming the first bad file.
        let serve = try SextantProcess.runToExit(["serve", "--zones", dir, "--listen", "127.0.0.1:0"])
        #expect(serve.status == 2)
    }

    @Test func theRepositorysZonesAreClean() throws {
        let r = try SextantProcess.runToExit(["check", "--zones", repositoryZones])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.hasSuffix("0 errors, 0 objects skipped\n"), "\(r.stdout)")
        #expect(try SextantProcess.runToExit(["check", "--zones", "/nonexistent/zones"]).status == 2)
    }
}
