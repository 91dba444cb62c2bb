@testable import AnswerTable
@testable import ClusterSet
import Testing

/// The store's object index against a dictionary, through inserts, updates and
/// removals in a fixed pseudo-random order (removals shift probe runs back).
@Suite struct ObjectTableTests {
    @Test func findsWhatADictionaryFindsThroughChurn() {
        var table = ObjectTable()
        var model: [ObjectKey: ObjectTable.Index] = [:]
        // A fixed linear congruential sequence, so that a failure reproduces.
        var x: UInt64 = 42
        func next() -> UInt64 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return x >> 33
        }
        func object(_ n: Int) -> KubeObject {
            n % 3 == 0 ? serviceImport("svc\(n)", "ns\(n % 7)") : clusterSlice("svc\(n)", "ns\(n % 7)", cluster: "c\(n % 3)", address: "10.0.0.1")
        }
        for step in 0..<20_000 {
            let n = Int(next() % 3_000)
            let o = object(n)
            let located = table.locate(o.key)
            #expect(table.find(o.key) == located.entry)
            if let i = located.entry {
                #expect(model[o.key] == i)
                if next() % 2 == 0 {
                    let gone = table.remove(at: i)
                    #expect(gone.object.key == o.key)
                    model[o.key] = nil
                } else {
                    table[i].source = step % 2 == 0 ? .api : .manifests
                }
            } else {
                #expect(model[o.key] == nil)
                let entry = ObjectTable.Entry(object: o, source: .manifests, kind: .ignored, cluster: 0)
                let i = table.insert(entry, at: located)
                model[o.key] = i
            }
        }
        #expect(table.count == model.count)
        #expect(table.indexes.count == model.count)
        for (key, i) in model {
            #expect(table.find(key) == i)
            #expect(table[i].object.key == key)
        }
        // Every key that is not held is not found.
        for n in 0..<3_000 where model[object(n).key] == nil { #expect(table.find(object(n).key) == nil) }
        // Indexes of removed entries are reused.
        #expect(table.indexes.max().map { Int($0) < 3_000 } == true)
    }

    /// Reserving room (a first LIST or load) and reserving again with entries held, in
    /// the middle of inserts: every entry is still found, nothing else is.
    @Test func reserveKeepsEveryEntryFindable() {
        var table = ObjectTable()
        func object(_ n: Int) -> KubeObject { clusterSlice("svc\(n)", "ns\(n % 5)", cluster: "c\(n % 3)", address: "10.0.0.1") }
        func add(_ n: Int) -> ObjectTable.Index {
            let o = object(n)
            return table.insert(ObjectTable.Entry(object: o, source: .manifests, kind: .slice, cluster: 0), at: table.locate(o.key))
        }
        table.reserve(1_000)
        var indexes: [Int: ObjectTable.Index] = [:]
        for n in 0..<700 { indexes[n] = add(n) }
        table.reserve(5_000)  // a rehash with 700 entries in it
        table.reserve(10)     // never shrinks
        for n in 700..<3_000 { indexes[n] = add(n) }
        #expect(table.count == 3_000)
        for n in 0..<3_000 { #expect(table.find(object(n).key) == indexes[n]) }
        for n in 3_000..<3_100 { #expect(table.find(object(n).key) == nil) }
    }
}
