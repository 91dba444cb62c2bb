import CYAML
import FastJSON
import Glibc

/// YAML text as JSON: each document of a stream becomes JSON text, which the objects'
/// decoders (the fast one, JSONDecoder) read exactly as they read a JSON manifest.
///
/// Yams did this before through a node tree and JSONSerialization; it needs Foundation
/// and so ICU, about 8 MiB of every process's resident memory (issue 18). This reads
/// libyaml's events and writes JSON as they come: no tree, one pass. What YAML 1.1
/// allows and JSON cannot say is decided as Yams' default resolver did (timestamps
/// excepted, which stay strings): plain scalars become null, booleans (`yes`, `on`...),
/// integers (`0x1f`, `0o17`, `017`, `1_000`, `1:30`) or floats; quoted and block scalars
/// are strings. Anchors and aliases are expanded (within a bound); merge keys (`<<`) are
/// plain keys. A mapping key must be a scalar and appear once.
public enum YAMLReader {
    /// How plain scalars are typed.
    public enum Scalars: Sendable {
        /// Yams' default resolver: null, bool, int, float, else string.
        case typed
        /// Booleans and null as such, everything else a string: kubeconfigs, whose
        /// fields are strings however they look (`token: 12345`), as YAMLDecoder read them.
        case stringsExceptBoolAndNull
    }

    /// The documents of `bytes` (UTF-8).
    ///
    /// - Parameter maxOutput: the most JSON bytes all documents may take: aliases can
    ///   make a small file expand without bound ("billion laughs").
    public static func documents(_ bytes: UnsafeRawBufferPointer, scalars: Scalars = .typed,
                                 maxOutput: Int? = nil) throws(YAMLError) -> [YAMLDocument] {
        var reader = EventReader(scalars: scalars, limit: maxOutput ?? max(64 << 20, bytes.count * 16))
        return try reader.read(bytes)
    }

    public static func documents(_ text: String, scalars: Scalars = .typed) throws(YAMLError) -> [YAMLDocument] {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(YAMLError) -> [YAMLDocument] in try documents(raw, scalars: scalars) }
        }
        return try result.get()
    }
}

/// One document as JSON.
public struct YAMLDocument: Sendable {
    /// The document as JSON text (`null` for an empty document).
    public var json: [UInt8]
    /// Where its root node starts (1-based); nil for an empty document.
    public var line: Int?
    /// Offsets in `json` of values JSON cannot carry (`.inf`, `.nan`), written as null.
    public var unrepresentable: [Int]

    public init(json: [UInt8], line: Int?, unrepresentable: [Int]) {
        self.json = json
        self.line = line
        self.unrepresentable = unrepresentable
    }
}

/// Why a YAML stream could not be read, with the line (1-based) when known.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public var line: Int?
    public var reason: String
    public var description: String { line.map { "line \($0): \(reason)" } ?? reason }

    public init(line: Int?, reason: String) {
        self.line = line
        self.reason = reason
    }

    /// The message for a mapping key that is a list or a mapping.
    public static let nonScalarKey = "a mapping key must be a plain value, not a list or a mapping"
}

/// The event loop and the JSON it writes.
struct EventReader {
    struct Frame {
        var isMapping: Bool
        var count = 0
        var expectKey = true
        var keys: Set<[UInt8]> = []
        var anchor: [UInt8]?
        var start: Int
    }

    let scalars: YAMLReader.Scalars
    let limit: Int
    var out: [UInt8] = []
    var stack: [Frame] = []
    var documents: [YAMLDocument] = []
    var anchors: [[UInt8]: [UInt8]] = [:]
    var scalarAnchors: [[UInt8]: [UInt8]] = [:]
    var rootLine: Int?
    var unrepresentable: [Int] = []
    var total = 0

    init(scalars: YAMLReader.Scalars, limit: Int) {
        self.scalars = scalars
        self.limit = limit
    }

    mutating func read(_ bytes: UnsafeRawBufferPointer) throws(YAMLError) -> [YAMLDocument] {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw YAMLError(line: nil, reason: "cannot set up the YAML parser (out of memory)") }
        defer { yaml_parser_delete(parser) }
        // libyaml reads from this pointer; an empty buffer has none, so give it a byte.
        var empty: UInt8 = 0
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        withUnsafeMutablePointer(to: &empty) { e in
            yaml_parser_set_input_string(parser, base ?? UnsafePointer(e), bytes.count)
        }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) == 1 else {
                let p = parser.pointee
                let problem = p.problem.map { String(cString: $0) } ?? "not valid YAML"
                throw YAMLError(line: Int(p.problem_mark.line) + 1, reason: problem)
            }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return documents
            case YAML_DOCUMENT_START_EVENT:
                out = []
                rootLine = nil
                unrepresentable = []
                anchors = [:]
                scalarAnchors = [:]
            case YAML_DOCUMENT_END_EVENT:
                if out.isEmpty { out = Array("null".utf8) }
                total += out.count
                documents.append(YAMLDocument(json: out, line: rootLine, unrepresentable: unrepresentable))
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let raw = Array(UnsafeBufferPointer(start: s.value, count: Int(s.length)))
                let tag = s.tag.map { String(cString: $0) }
                let plain = s.style == YAML_PLAIN_SCALAR_STYLE || s.style == YAML_ANY_SCALAR_STYLE
                if try key(raw, line: line) {
                    if let a = s.anchor {
                        let name = Self.bytes(a)
                        var json: [UInt8] = []
                        JSONWriter.string(bytes: raw, to: &json)
                        anchors[name] = json
                        scalarAnchors[name] = raw
                    }
                    break
                }
                try value(line: line)
                let start = out.count
                writeScalar(raw, plain: plain, tag: tag)
                if let a = s.anchor {
                    let name = Self.bytes(a)
                    anchors[name] = Array(out[start...])
                    scalarAnchors[name] = raw
                }
            case YAML_ALIAS_EVENT:
                let name = Self.bytes(event.data.alias.anchor)
                if let top = stack.last, top.isMapping, top.expectKey {
                    guard let raw = scalarAnchors[name] else {
                        throw YAMLError(line: line, reason: anchors[name] == nil ? "unknown alias *\(String(decoding: name, as: UTF8.self))" : YAMLError.nonScalarKey)
                    }
                    _ = try key(raw, line: line)
                    break
                }
                guard let copy = anchors[name] else {
                    throw YAMLError(line: line, reason: "unknown alias *\(String(decoding: name, as: UTF8.self))")
                }
                try value(line: line)
                out += copy
                guard total + out.count <= limit else { throw YAMLError(line: line, reason: "aliases expand the document beyond \(limit) bytes") }
            case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                if let top = stack.last, top.isMapping, top.expectKey { throw YAMLError(line: line, reason: YAMLError.nonScalarKey) }
                try value(line: line)
                let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                stack.append(Frame(isMapping: isMapping, anchor: anchor.map(Self.bytes), start: out.count))
                out.append(isMapping ? UInt8(ascii: "{") : UInt8(ascii: "["))
                guard stack.count <= 512 else { throw YAMLError(line: line, reason: "nested more than 512 deep") }
            case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                guard let frame = stack.popLast() else { break }
                out.append(frame.isMapping ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                if let a = frame.anchor {
                    anchors[a] = Array(out[frame.start...])
                    scalarAnchors[a] = nil
                }
            default:
                break
            }
        }
    }

    static func bytes(_ p: UnsafeMutablePointer<yaml_char_t>) -> [UInt8] {
        Array(UnsafeBufferPointer(start: p, count: strlen(p)))
    }

    /// Writes `raw` as a key when a key is due; true if it was one.
    mutating func key(_ raw: [UInt8], line: Int) throws(YAMLError) -> Bool {
        guard var top = stack.last, top.isMapping, top.expectKey else { return false }
        guard top.keys.insert(raw).inserted else {
            throw YAMLError(line: line, reason: "the key '\(String(decoding: raw, as: UTF8.self))' appears twice in one mapping")
        }
        if top.count > 0 { out.append(UInt8(ascii: ",")) }
        JSONWriter.string(bytes: raw, to: &out)
        out.append(UInt8(ascii: ":"))
        top.expectKey = false
        stack[stack.count - 1] = top
        return true
    }

    /// Accounts for a value about to be written (a separator in a list, the pair done in a
    /// mapping, the root line).
    mutating func value(line: Int) throws(YAMLError) {
        guard var top = stack.last else {
            if rootLine == nil { rootLine = line }
            return
        }
        if !top.isMapping, top.count > 0 { out.append(UInt8(ascii: ",")) }
        top.count += 1
        top.expectKey = true
        stack[stack.count - 1] = top
        guard total + out.count <= limit else { throw YAMLError(line: line, reason: "aliases expand the document beyond \(limit) bytes") }
    }

    mutating func writeScalar(_ raw: [UInt8], plain: Bool, tag: String?) {
        let resolve: Bool
        switch tag {
        case nil: resolve = plain
        case "!", "tag:yaml.org,2002:str": resolve = false
        case "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float": resolve = true
        default: resolve = false
        }
        guard resolve else { return JSONWriter.string(bytes: raw, to: &out) }
        switch YAMLScalar.resolve(raw) {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .int(let text) where scalars == .typed: out += text
        case .float(let text) where scalars == .typed:
            if let text { out += text } else {
                unrepresentable.append(out.count)
                out += Array("null".utf8)
            }
        default: JSONWriter.string(bytes: raw, to: &out)
        }
    }
}
