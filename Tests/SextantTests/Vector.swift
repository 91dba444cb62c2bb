import DNSWire
import Foundation

/// The answer vectors of `spec/vectors.json` (format in `spec/vectors.md`).
struct VectorFile: Decodable, Sendable {
    let zone: String
    let mcs_flags: [String]
    let scenarios: [Scenario]

    /// The shared spec when it is beside the repository, else the copy in Tests/Vectors.
    static func load() throws -> VectorFile {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shared = root.deletingLastPathComponent().appendingPathComponent("shared/spec/vectors.json")
        let copy = root.appendingPathComponent("Tests/Vectors/vectors.json")
        let url = FileManager.default.fileExists(atPath: shared.path) ? shared : copy
        return try JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url))
    }
}

struct Scenario: Decodable, Sendable, CustomStringConvertible {
    let name: String
    let flags: [String]
    let modes: [String]
    let objects: [JSONValue]
    let queries: [VectorQuery]
    var description: String { name }

    /// The objects a static zones folder holds: the kinds Sextant reads.
    var manifestObjects: [JSONValue] {
        objects.filter { o in
            guard case .object(let d) = o, case .string(let kind)? = d["kind"] else { return false }
            return ["ServiceImport", "EndpointSlice", "Gateway"].contains(kind)
        }
    }
}

struct RecordExpectation: Decodable, Sendable {
    let name: String
    let type: String
    let ttl: Int?
    let data: String
}

struct ModeExpectation: Decodable, Sendable {
    let rcode: String
    let aa: Bool
    let answers: [RecordExpectation]?
    let authority: String?
    let additional: [RecordExpectation]?
}

struct VectorQuery: Decodable, Sendable {
    let qname: String
    let qtype: String
    let rcode: String
    let aa: Bool
    let answers: [RecordExpectation]?
    let answers_one_of: [[RecordExpectation]]?
    let round_robin_weights: [Int]?
    let stable: Bool?
    let match: String?
    let authority: String?
    let additional: [RecordExpectation]?
    let mcs: ModeExpectation?
}

/// Any JSON, kept so the objects can be written back out as manifests.
enum JSONValue: Decodable, Sendable {
    case object([String: JSONValue]), array([JSONValue]), string(String), number(Double), bool(Bool), null

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var any: Any {
        switch self {
        case .object(let d): return d.mapValues(\.any)
        case .array(let a): return a.map(\.any)
        case .string(let s): return s
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? Int(n) as Any : n
        case .bool(let b): return b
        case .null: return NSNull()
        }
    }

    var data: Data { (try? JSONSerialization.data(withJSONObject: any, options: [.fragmentsAllowed])) ?? Data() }
}

/// A query exactly as the vector writes it: the name's case is kept on the wire.
func vectorQuery(_ q: VectorQuery, id: UInt16) -> [UInt8] {
    var wire: [UInt8] = []
    for label in q.qname.split(separator: ".") {
        wire.append(UInt8(label.utf8.count))
        wire += label.utf8
    }
    wire.append(0)
    let type = RRType(mnemonic: q.qtype) ?? .a
    var b = MessageBuilder()
    b.appendUInt16(id)
    b.appendUInt16(0)
    b.append(bytes: [0, 1, 0, 0, 0, 0, 0, 1])
    b.append(bytes: wire)
    b.appendUInt16(type.rawValue)
    b.appendUInt16(1)
    b.appendOPT(udpSize: 1232, extendedRCode: 0, version: 0, dnssecOK: false)
    return b.bytes
}
