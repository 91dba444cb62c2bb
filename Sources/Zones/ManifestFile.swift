import ClusterSet
import Dispatch
import Foundation
import Yams

/// An object in a manifest that Sextant reads but cannot use: which file, which object,
/// what is wrong. Such objects are skipped; the rest of the file still counts.
public struct ManifestProblem: Sendable, CustomStringConvertible {
    public let path: String
    public let object: String
    public let reason: String
    /// Where the object's YAML document starts (1-based; nil in JSON): `sextant check`
    /// prints it as file:line.
    public let line: Int?
    public var description: String { "\(path): \(object): \(reason)" }

    public init(path: String, object: String, reason: String, line: Int? = nil) {
        self.path = path
        self.object = object
        self.reason = reason
        self.line = line
    }
}

/// Kubernetes manifests in the zones folder (`*.yaml`, `*.yml`, `*.json`): single
/// objects, multi-document YAML, `kind: List`. ServiceImport, EndpointSlice and
/// Gateway objects are read; other kinds (Namespace, Deployment...) are passed over.
public enum ManifestFile {
    public struct Contents: Sendable {
        public var objects: [KubeObject] = []
        public var problems: [ManifestProblem] = []
        /// Objects of kinds Sextant does not read.
        public var otherKinds = 0
    }

    public static let extensions = [".yaml", ".yml", ".json"]

    /// Reads one file. A file that is not valid YAML or JSON is an error (with the
    /// line where the parser stopped); a bad object inside a valid file is a problem.
    public static func load(path: String) throws(ZoneFileError) -> Contents {
        // JSON straight from the file's bytes, given back as they are decoded: the file
        // whole beside the objects (and before that, as text besides it) was the
        // start-up's peak (192 MB each for 100,000 services).
        if path.hasSuffix(".json"), let file = FileBuffer(path: path),
           let fast = decodeJSON(file.data, path: path, release: file.release) {
            return fast
        }
        // FileBuffer rather than Data(contentsOf:), which leaks its 4 KiB read buffer on
        // an empty file (FoundationEssentials; found by FuzzManifest). Data(contentsOf:)
        // stays for what FileBuffer declines (not a regular file...): it says why.
        let bytes: Data
        if let file = FileBuffer(path: path) {
            bytes = Data(file.data)
        } else if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0 {
            bytes = Data()
        } else {
            do {
                bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw ZoneFileError(path: path, reason: "cannot read: \(error.localizedDescription)")
            }
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw ZoneFileError(path: path, reason: "cannot read: not UTF-8 text")
        }
        // Each document with the line it starts on (YAML's marks; none in JSON).
        var documents: [(value: Any, line: Int?)] = []
        do {
            if path.hasSuffix(".json") {
                documents = [(try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]), nil)]
            } else {
                // Timestamps stay strings: they must survive the trip to JSON. The parser
                // itself, not `load_all`: its sequence keeps a syntax error to itself and
                // just ends, which would load half a file as if it were whole.
                let parser = try Parser(yaml: text, resolver: Resolver.default.removing(.timestamp))
                while let node = try parser.nextRoot() {
                    // Yams force-unwraps every mapping key as a string and traps on one that
                    // is a sequence or a mapping (found by FuzzManifest): refused here first.
                    if let line = Self.nonScalarKey(in: node) {
                        throw ZoneFileError(path: path, line: line, reason: "not valid YAML: a mapping key must be a plain value, not a list or a mapping")
                    }
                    documents.append((node.any, node.mark?.line))
                }
            }
        } catch let e as ZoneFileError {
            throw e
        } catch let e as YamlError {
            throw ZoneFileError(path: path, line: yamlLine(e), reason: "not valid YAML: \(yamlReason(e))")
        } catch {
            throw ZoneFileError(path: path, reason: "not valid JSON: \(error.localizedDescription)")
        }
        var out = Contents()
        for (i, (doc, line)) in documents.enumerated() {
            if doc is NSNull { continue }  // an empty document between two ---
            guard let dict = doc as? [String: Any] else {
                out.problems.append(ManifestProblem(path: path, object: "document \(i + 1)", reason: "not an object", line: line))
                continue
            }
            if let k = dict["kind"] as? String, k.hasSuffix("List"), dict["items"] != nil || k == "List" {
                guard let items = dict["items"] as? [Any] else {
                    out.problems.append(ManifestProblem(path: path, object: "document \(i + 1)", reason: "a List without items", line: line))
                    continue
                }
                for (j, item) in items.enumerated() { read(item, path: path, label: "document \(i + 1) item \(j + 1)", line: line, into: &out) }
            } else {
                read(dict, path: path, label: "document \(i + 1)", line: line, into: &out)
            }
        }
        return out
    }

    static func read(_ value: Any, path: String, label: String, line: Int?, into out: inout Contents) {
        guard let dict = value as? [String: Any] else {
            out.problems.append(ManifestProblem(path: path, object: label, reason: "not an object", line: line))
            return
        }
        let kindText = dict["kind"] as? String ?? ""
        let meta = dict["metadata"] as? [String: Any]
        let name = [meta?["namespace"] as? String, meta?["name"] as? String].compactMap { $0 }.joined(separator: "/")
        let described = "\(kindText.isEmpty ? "object" : kindText) \(name.isEmpty ? "(\(label))" : name)"
        guard let kind = KubeObject.kind(apiVersion: dict["apiVersion"] as? String ?? "", kind: kindText) else {
            out.otherKinds += 1
            return
        }
        guard JSONSerialization.isValidJSONObject(dict), let data = try? JSONSerialization.data(withJSONObject: dict) else {
            out.problems.append(ManifestProblem(path: path, object: described, reason: "holds values JSON cannot carry", line: line))
            return
        }
        do {
            out.objects.append(try KubeObject.decode(kind: kind, json: data))
        } catch {
            out.problems.append(ManifestProblem(path: path, object: described, reason: describe(error), line: line))
        }
    }

    /// How much is decoded between two releases of a file's pages.
    static let releaseEvery = 8 << 20

    /// JSON decoded straight into objects (a 40,000-object list in a fraction of the
    /// time and memory of a detour through `JSONSerialization`). Nil when the file is
    /// not valid JSON, so the general path reports where.
    ///
    /// - Parameter release: gives back a range of `data` that is decoded and will not be
    ///   read again (`FileBuffer`), so that the file and all its objects are never
    ///   resident together.
    static func decodeJSON(_ data: Data, path: String, release: ((Range<Int>) -> Void)? = nil) -> Contents? {
        var out = Contents()
        let start = data.startIndex
        if let ranges = JSONListScanner.items(in: data) {
            // A List item by item: the decoder's map is one object's, not the file's.
            // The fast decoder first, on every core, a chunk of about `releaseEvery`
            // bytes at a time; what it is unsure of, JSONDecoder as before, in order.
            let decoder = JSONDecoder()
            var released = 0
            var first = 0
            let lanes = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
            while first < ranges.count {
                var last = first
                while last < ranges.count, ranges[last].upperBound - ranges[first].lowerBound < releaseEvery { last += 1 }
                last = min(max(last, first + 1), ranges.count)
                let chunk = ranges[first..<last]
                let fast = data.withUnsafeBytes { raw in Self.fastDecode(raw, chunk, offset: start, lanes: lanes) }
                for (j, range) in chunk.enumerated() {
                    switch fast[j] {
                    case .object(let o): out.objects.append(o)
                    case .otherKind: out.otherKinds += 1
                    case .undecided:
                        guard let item = try? decoder.decode(JSONItem.self, from: data[range]) else { return nil }
                        add(item, label: "document 1 item \(first + j + 1)", path: path, to: &out)
                    }
                }
                first = last
                // Everything before the next item is decoded (from the start: the pages
                // given back before are free to give back again).
                if let r = release, chunk.last!.upperBound - start - released >= releaseEvery {
                    released = chunk.last!.upperBound - start
                    r(0..<released)
                }
            }
            return out
        }
        guard let doc = try? JSONDecoder().decode(JSONDocument.self, from: data) else { return nil }
        for (i, item) in (doc.items ?? [doc.single]).enumerated() {
            add(item, label: doc.items == nil ? "document 1" : "document 1 item \(i + 1)", path: path, to: &out)
        }
        return out
    }

    /// The fast decoder over `ranges` (of a buffer starting at `offset`), `lanes` threads
    /// each taking a contiguous share; the outcomes in the ranges' order.
    static func fastDecode(_ raw: UnsafeRawBufferPointer, _ ranges: ArraySlice<Range<Int>>, offset: Int, lanes: Int) -> [KubeObject.FastDecoded] {
        let count = ranges.count
        var results = [KubeObject.FastDecoded](repeating: .undecided, count: count)
        let lanes = count < 64 ? 1 : lanes
        /// @unchecked: each lane writes its own share of `out`; `raw` is only read.
        struct Shared: @unchecked Sendable {
            let raw: UnsafeRawBufferPointer
            let out: UnsafeMutableBufferPointer<KubeObject.FastDecoded>
        }
        results.withUnsafeMutableBufferPointer { out in
            let shared = Shared(raw: raw, out: out)
            let share = (count + lanes - 1) / lanes
            let base = ranges.startIndex
            let body: @Sendable (Int) -> Void = { lane in
                for k in (lane * share)..<min(count, (lane + 1) * share) {
                    let r = ranges[base + k]
                    shared.out[k] = KubeObject.fastDecode(UnsafeRawBufferPointer(rebasing: shared.raw[(r.lowerBound - offset)..<(r.upperBound - offset)]))
                }
            }
            if lanes == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: lanes, execute: body) }
        }
        return results
    }

    private static func add(_ item: JSONItem, label: String, path: String, to out: inout Contents) {
        switch item {
        case .object(let o): out.objects.append(o)
        case .other: out.otherKinds += 1
        case .bad(let what, let reason):
            out.problems.append(ManifestProblem(path: path, object: what.isEmpty ? "object (\(label))" : what, reason: reason))
        case .notAnObject:
            out.problems.append(ManifestProblem(path: path, object: label, reason: "not an object"))
        }
    }

    /// One object of a JSON manifest, decoded by its kind.
    enum JSONItem: Decodable {
        case object(KubeObject)
        case other
        case bad(String, String)
        case notAnObject

        struct Head: Decodable {
            struct Meta: Decodable {
                var name: String?
                var namespace: String?
            }
            var kind: String?
            var apiVersion: String?
            var metadata: Meta?
        }

        init(from decoder: Decoder) throws {
            guard let head = try? Head(from: decoder) else {
                self = .notAnObject
                return
            }
            let kindText = head.kind ?? ""
            guard let kind = KubeObject.kind(apiVersion: head.apiVersion ?? "", kind: kindText) else {
                self = .other
                return
            }
            let name = [head.metadata?.namespace, head.metadata?.name].compactMap { $0 }.joined(separator: "/")
            do {
                self = .object(try KubeObject.decode(kind: kind, from: decoder))
            } catch {
                self = .bad("\(kindText) \(name)", describe(error))
            }
        }
    }

    /// A JSON manifest: one object, or a List (`kind: List` or `*List`) of them.
    struct JSONDocument: Decodable {
        var items: [JSONItem]?
        var single: JSONItem

        enum Keys: String, CodingKey { case kind, items }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            let kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? ""
            if kind.hasSuffix("List"), c.contains(.items) {
                items = try c.decode([JSONItem].self, forKey: .items)
                single = .other
            } else if kind == "List" {
                // A List without items: the general path says so.
                throw DecodingError.keyNotFound(Keys.items, .init(codingPath: [], debugDescription: "a List without items"))
            } else {
                items = nil
                single = try JSONItem(from: decoder)
            }
        }
    }

    /// The first mapping key of `node` that is not a scalar (`? [a, b] : c`, `{a: b}: c`),
    /// with its line; nil when every key is a scalar.
    static func nonScalarKey(in node: Node) -> Int?? {
        switch node {
        case .mapping(let m):
            for (k, v) in m {
                if k.scalar == nil { return .some(k.mark?.line) }
                if let r = nonScalarKey(in: v) { return r }
            }
        case .sequence(let seq):
            for v in seq { if let r = nonScalarKey(in: v) { return r } }
        default:
            break
        }
        return nil
    }

    static func yamlLine(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    static func yamlReason(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default:
            return "\(e)"
        }
    }
}
