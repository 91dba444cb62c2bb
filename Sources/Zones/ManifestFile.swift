import ClusterSet
import Dispatch
import FoundationEssentials
import FastJSON
import Locking
import YAML
#if canImport(Glibc)
import Glibc
#endif

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
        // A JSON List a window at a time: the file whole beside the objects (and before
        // that, as text besides it) was the start-up's peak (192 MB each for 100,000
        // services). Anything else in JSON straight from the file's bytes.
        if path.hasSuffix(".json") {
            if let listed = decodeJSONList(path: path) { return listed }
            if let file = FileBuffer(path: path), let fast = decodeJSON(file.data, path: path) {
                return fast
            }
        }
        // FileBuffer rather than Data(contentsOf:), which leaks its 4 KiB read buffer on
        // an empty file (FoundationEssentials; found by FuzzManifest). Data(contentsOf:)
        // stays for what FileBuffer declines (not a regular file...): it says why.
        let bytes: [UInt8]
        if let file = FileBuffer(path: path) {
            bytes = Array(file.data)
        } else if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0 {
            bytes = []
        } else {
            do {
                bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw ZoneFileError(path: path, reason: "cannot read: \(error)")
            }
        }
        return try parse(bytes, path: path, tryFast: false)
    }

    /// A manifest's bytes already in memory (the fuzz target: the readers without a file
    /// per input); `path` names it in messages and its suffix says JSON or YAML.
    public static func parse(_ bytes: [UInt8], path: String) throws(ZoneFileError) -> Contents {
        try parse(bytes, path: path, tryFast: true)
    }

    static func parse(_ bytes: [UInt8], path: String, tryFast: Bool) throws(ZoneFileError) -> Contents {
        if tryFast, path.hasSuffix(".json"), let fast = decodeJSON(Data(bytes), path: path) { return fast }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ZoneFileError(path: path, reason: "cannot read: not UTF-8 text")
        }
        // Each document as JSON text with the line it starts on (YAML's; none in JSON).
        let documents: [YAMLDocument]
        if path.hasSuffix(".json") {
            let at: Int? = bytes.withUnsafeBytes { raw in
                var c = JSONCursor(raw)
                return c.skipValue() && c.atEnd() ? nil : c.at
            }
            if let at {
                let (line, column) = Self.position(of: at, in: bytes)
                throw ZoneFileError(path: path, line: line, reason: "not valid JSON: unexpected input at line \(line), column \(column)")
            }
            documents = [YAMLDocument(json: bytes, line: nil, unrepresentable: [])]
        } else {
            do {
                // Timestamps stay strings (they must survive as text); a syntax error
                // anywhere fails the whole file, never half of it loaded as if whole.
                documents = try bytes.withUnsafeBytes { raw in
                    Result { () throws(YAMLError) in try YAMLReader.documents(raw) }
                }.get()
            } catch {
                throw ZoneFileError(path: path, line: error.line, reason: "not valid YAML: \(error.reason)")
            }
        }
        var out = Contents()
        for (i, doc) in documents.enumerated() {
            doc.json.withUnsafeBytes { raw in
                read(document: raw, unrepresentable: doc.unrepresentable, index: i + 1, line: doc.line, path: path, into: &out)
            }
        }
        return out
    }

    /// One document: nothing (null), one object, or a List (`kind: List` or `*List` with
    /// `items`) of them.
    static func read(document raw: UnsafeRawBufferPointer, unrepresentable: [Int], index: Int, line: Int?, path: String, into out: inout Contents) {
        var c = JSONCursor(raw)
        if c.takeNull(), c.atEnd() { return }  // an empty document between two ---
        let top = Shape(raw)
        guard top.isObject else {
            out.problems.append(ManifestProblem(path: path, object: "document \(index)", reason: "not an object", line: line))
            return
        }
        if let k = top.kind, k.hasSuffix("List"), top.hasItems || k == "List" {
            guard let items = top.items else {
                out.problems.append(ManifestProblem(path: path, object: "document \(index)", reason: "a List without items", line: line))
                return
            }
            for (j, r) in items.enumerated() {
                read(item: raw, r, unrepresentable: unrepresentable, label: "document \(index) item \(j + 1)", line: line, path: path, into: &out)
            }
        } else {
            read(item: raw, 0..<raw.count, unrepresentable: unrepresentable, label: "document \(index)", line: line, path: path, into: &out)
        }
    }

    static func read(item raw: UnsafeRawBufferPointer, _ range: Range<Int>, unrepresentable: [Int], label: String, line: Int?, path: String, into out: inout Contents) {
        let bytes = UnsafeRawBufferPointer(rebasing: raw[range])
        let head = Shape(bytes)
        guard head.isObject else {
            out.problems.append(ManifestProblem(path: path, object: label, reason: "not an object", line: line))
            return
        }
        let kindText = head.kind ?? ""
        let name = [head.namespace, head.name].compactMap { $0 }.joined(separator: "/")
        let described = "\(kindText.isEmpty ? "object" : kindText) \(name.isEmpty ? "(\(label))" : name)"
        guard let kind = KubeObject.kind(apiVersion: head.apiVersion ?? "", kind: kindText) else {
            out.otherKinds += 1
            return
        }
        if unrepresentable.contains(where: range.contains) {
            out.problems.append(ManifestProblem(path: path, object: described, reason: "holds values JSON cannot carry", line: line))
            return
        }
        if case .object(let o) = KubeObject.fastDecode(bytes, kind: kind) {
            out.objects.append(o)
            return
        }
        do {
            out.objects.append(try KubeObject.decode(kind: kind, json: Data(bytes)))
        } catch {
            out.problems.append(ManifestProblem(path: path, object: described, reason: describe(error), line: line))
        }
    }

    /// The top of a document or item: whether it is an object, and its `kind`,
    /// `apiVersion`, `metadata.name` and `.namespace` when they are strings, and its
    /// `items` (ranges of their elements when it is a list). A repeated key counts once,
    /// the last.
    struct Shape {
        var isObject = false
        var kind: String?, apiVersion: String?, name: String?, namespace: String?
        var hasItems = false
        var items: [Range<Int>]?

        init(_ raw: UnsafeRawBufferPointer) {
            var c = JSONCursor(raw)
            var shape = self
            func optionalString(_ c: inout JSONCursor) -> String?? {
                c.skipSpace()
                if c.peekIsString { return c.string().map { .some($0) } }
                return c.skipValue() ? .some(nil) : nil
            }
            isObject = c.object { key, c in
                if key.equals("kind") {
                    guard let v = optionalString(&c) else { return false }
                    shape.kind = v
                } else if key.equals("apiVersion") {
                    guard let v = optionalString(&c) else { return false }
                    shape.apiVersion = v
                } else if key.equals("metadata") {
                    c.skipSpace()
                    guard c.peekIsObject else { shape.name = nil; shape.namespace = nil; return c.skipValue() }
                    return c.object { key, c in
                        if key.equals("name") {
                            guard let v = optionalString(&c) else { return false }
                            shape.name = v
                        } else if key.equals("namespace") {
                            guard let v = optionalString(&c) else { return false }
                            shape.namespace = v
                        } else {
                            return c.skipValue()
                        }
                        return true
                    }
                } else if key.equals("items") {
                    shape.hasItems = true
                    c.skipSpace()
                    guard c.peekIsArray else { shape.items = nil; return c.skipValue() }
                    guard let found = c.elementRanges() else { return false }
                    shape.items = found
                } else {
                    return c.skipValue()
                }
                return true
            } && c.atEnd()
            let isObject = self.isObject
            self = shape
            self.isObject = isObject
        }
    }

    /// The 1-based line and column of byte `offset`.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }

    /// How much of a List file the item scan holds at a time, and how much of it the
    /// decoders read at a time (each lane a share).
    public static let scanWindow = 1 << 20
    public static let decodeChunk = 4 << 20

    /// A JSON List file in two passes over the file, never whole in memory (with one CPU,
    /// in one: `streamJSONList`): the scan finds the items' offsets through a small window
    /// (`JSONListScanner`), then the items are read back a chunk at a time and decoded on
    /// every core. Nil when the file is not a List the scan understands, cannot be read,
    /// or changed between the passes: the caller reads it whole, which says what is wrong.
    static func decodeJSONList(path: String, window: Int = scanWindow, chunk: Int = decodeChunk,
                               cpus: Int = Processors.usable) -> Contents? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // One CPU: no lanes to decode on, so no scan for them (`streamJSONList`).
        if cpus == 1 { return streamJSONList(fd: fd, path: path, chunk: chunk) }
        return decodeJSONList(fd: fd, path: path, window: window, chunk: chunk)
    }

    /// The same for an open file (read from offset 0 with `pread`; its position is left
    /// alone), `path` naming it in problems: the fuzz target feeds it each input through
    /// one scratch file and small windows.
    public static func decodeJSONList(fd: Int32, path: String, window: Int = scanWindow, chunk: Int = decodeChunk) -> Contents? {
        var before = stat()
        guard fstat(fd, &before) == 0, (before.st_mode & S_IFMT) == S_IFREG, before.st_size > 0,
              let ranges = JSONListScanner.items(fd: fd, window: window) else { return nil }
        var capacity = 0
        var buffer: UnsafeMutableRawPointer? = nil
        defer { buffer?.deallocate() }
        let decoded = decodeList(ranges, chunk: chunk, path: path) { span, body in
            if span.count > capacity || buffer == nil {
                buffer?.deallocate()
                capacity = max(span.count, min(chunk, Int(before.st_size)))
                buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            }
            guard let base = buffer, readFully(fd, base, span.count, at: span.lowerBound) else { return false }
            return body(UnsafeRawBufferPointer(start: base, count: span.count))
        }
        guard let out = decoded else { return nil }
        // Rewritten meanwhile (an editor saving during a reload): read it again whole.
        var after = stat()
        guard fstat(fd, &after) == 0, after.st_size == before.st_size, after.st_mtim.tv_sec == before.st_mtim.tv_sec,
              after.st_mtim.tv_nsec == before.st_mtim.tv_nsec else { return nil }
        return out
    }

    /// A List's items (`ranges`, offsets in the file) a chunk of about `chunk` bytes at a
    /// time: `reading` hands the bytes of each chunk's span to its body. In each chunk the
    /// fast decoder runs on every core, then the outcomes go into the contents in order,
    /// what it is unsure of through JSONDecoder (its rules and messages). Nil when a
    /// chunk cannot be read or JSONDecoder finds an item that is not JSON: the caller's
    /// whole-file path says where.
    private static func decodeList(_ ranges: [Range<Int>], chunk: Int, path: String,
                                   reading: (Range<Int>, (UnsafeRawBufferPointer) -> Bool) -> Bool) -> Contents? {
        var out = Contents()
        let decoder = JSONDecoder()
        let lanes = min(4, Processors.usable)
        var first = 0
        while first < ranges.count {
            var last = first + 1
            while last < ranges.count, ranges[last].upperBound - ranges[first].lowerBound <= chunk { last += 1 }
            let slice = ranges[first..<last]
            let span = slice[first].lowerBound..<slice[last - 1].upperBound
            let read = reading(span) { raw in
                let fast = fastDecode(raw, slice, offset: span.lowerBound, lanes: lanes)
                for (j, range) in slice.enumerated() {
                    switch fast[j] {
                    case .object(let o): out.objects.append(o)
                    case .otherKind: out.otherKinds += 1
                    case .undecided:
                        let bytes = Data(UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound - span.lowerBound)..<(range.upperBound - span.lowerBound)]))
                        guard let item = try? decoder.decodeBounded(JSONItem.self, from: bytes) else { return false }
                        add(item, label: "document 1 item \(first + j + 1)", path: path, to: &out)
                    }
                }
                return true
            }
            guard read else { return nil }
            first = last
        }
        return out
    }

    /// `count` bytes at `offset` of `fd`; false if the file ends first or a read fails.
    private static func readFully(_ fd: Int32, _ into: UnsafeMutableRawPointer, _ count: Int, at offset: Int) -> Bool {
        var done = 0
        while done < count {
            let n = pread(fd, into + done, count - done, off_t(offset + done))
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// JSON in memory decoded straight into objects (a 40,000-object list in a fraction
    /// of the time and memory of a detour through `JSONSerialization`). Nil when the
    /// file is not valid JSON, so the general path reports where.
    static func decodeJSON(_ data: Data, path: String) -> Contents? {
        let start = data.startIndex
        if let ranges = JSONListScanner.items(in: data) {
            // A List item by item: the decoder's map is one object's, not the file's.
            return data.withUnsafeBytes { all in
                decodeList(ranges, chunk: decodeChunk, path: path) { span, body in
                    body(UnsafeRawBufferPointer(rebasing: all[(span.lowerBound - start)..<(span.upperBound - start)]))
                }
            }
        }
        var out = Contents()
        guard let doc = try? JSONDecoder().decodeBounded(JSONDocument.self, from: data) else { return nil }
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
                var memo = KubeObject.DecodeMemo()
                for k in (lane * share)..<min(count, (lane + 1) * share) {
                    let r = ranges[base + k]
                    shared.out[k] = KubeObject.fastDecode(UnsafeRawBufferPointer(rebasing: shared.raw[(r.lowerBound - offset)..<(r.upperBound - offset)]),
                                                          memo: &memo)
                }
            }
            if lanes == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: lanes, execute: body) }
        }
        return results
    }

    static func add(_ item: JSONItem, label: String, path: String, to out: inout Contents) {
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
}
