import Foundation
import Testing
@testable import Zones

/// A YAML syntax error anywhere in a manifest fails the file, with its line: Yams's
/// `load_all` sequence ended quietly at the error, so a file cut short or broken halfway
/// loaded its first documents as if it were whole.
@Suite struct ManifestSyntaxTests {
    static let good = """
        apiVersion: multicluster.x-k8s.io/v1alpha1
        kind: ServiceImport
        metadata: {name: a, namespace: b}
        spec: {type: ClusterSetIP}

        """

    @Test(arguments: ["ports: [1, 2\n", "metadata: {name: a\n", "  - x\n y: :\n"])
    func aBrokenSecondDocumentFailsTheFile(broken: String) throws {
        let dir = try folder(["m.yaml": Self.good + "---\n" + broken])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: ZoneFileError.self) { _ = try ManifestFile.load(path: dir + "/m.yaml") }
        do {
            _ = try ManifestFile.load(path: dir + "/m.yaml")
        } catch {
            #expect(error.line != nil && error.line! >= 6, "\(error)")
            #expect(error.reason.hasPrefix("not valid YAML"), "\(error)")
        }
    }

    @Test func problemsComeWithTheLineTheirDocumentStartsOn() throws {
        let before = Self.good + "---\n"
        let dir = try folder(["m.yaml": before + "apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceImport\nmetadata: {namespace: b}\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = try ManifestFile.load(path: dir + "/m.yaml")
        #expect(m.objects.count == 1)
        let second = before.filter { $0 == "\n" }.count + 1
        #expect(second == 6)  // four lines, `---` on the fifth
        #expect(m.problems.map(\.line) == [second])
    }

    /// Found by FuzzManifest: Yams force-unwraps every mapping key as a string and traps
    /// on a key that is a list or a mapping; the file is refused with the key's line.
    @Test(arguments: ["spec:\n  ? [a, b]\n  : c\n", "metadata: {{name: a}: b}\n", "items:\n- ? {x: 1}\n  : y\n"])
    func aKeyThatIsNotAPlainValueIsAnErrorNotACrash(tail: String) throws {
        let dir = try folder(["m.yaml": Self.good + "---\napiVersion: v1\n" + tail])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try ManifestFile.load(path: dir + "/m.yaml")
            Issue.record("a list or mapping key was accepted")
        } catch {
            #expect(error.reason == "not valid YAML: a mapping key must be a plain value, not a list or a mapping", "\(error)")
            #expect((error.line ?? 0) >= 7, "\(error)")
        }
    }
}
