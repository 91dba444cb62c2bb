import AnswerTable
import FastJSON
import FoundationEssentials

/// The kinds of object Sextant reads.
public enum ObjectKind: String, Sendable, Hashable, CaseIterable {
    case serviceImport = "ServiceImport"
    case endpointSlice = "EndpointSlice"
    case gateway = "Gateway"

    /// The kind whose name `raw` holds (a `kind` value's bytes, compared in place: the
    /// fast decoder asks this of every object). `StartupPathTests` holds it to `rawValue`.
    init?(named raw: UnsafeRawBufferPointer) {
        if raw.equals("EndpointSlice") {
            self = .endpointSlice
        } else if raw.equals("ServiceImport") {
            self = .serviceImport
        } else if raw.equals("Gateway") {
            self = .gateway
        } else {
            return nil
        }
    }

    /// The kinds in their names' order (`ObjectKey`'s order compares the names; this
    /// compares integers). `StartupPathTests` holds it to `rawValue`.
    var order: Int {
        switch self {
        case .endpointSlice: return 0
        case .gateway: return 1
        case .serviceImport: return 2
        }
    }

    /// The API group of each kind, so that a `Gateway` of another API (Gateway API's
    /// `gateway.networking.k8s.io`) is not taken for Submariner's.
    public var group: String {
        switch self {
        case .serviceImport: return "multicluster.x-k8s.io"
        case .endpointSlice: return "discovery.k8s.io"
        case .gateway: return "submariner.io"
        }
    }
}

/// Where an object lives: the store's key.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    public var namespace: String
    public var name: String

    public init(kind: ObjectKind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(kind.rawValue) \(namespace.isEmpty ? "" : namespace + "/")\(name)" }

    public static func < (l: ObjectKey, r: ObjectKey) -> Bool {
        (l.kind.rawValue, l.namespace, l.name) < (r.kind.rawValue, r.namespace, r.name)
    }
}

/// One object of a kind Sextant reads.
public enum KubeObject: Sendable, Equatable {
    case serviceImport(ServiceImport)
    case endpointSlice(EndpointSlice)
    /// Boxed: the other two cases are a reference each, and a case stored inline would
    /// make every object in the store as wide as a Gateway.
    indirect case gateway(Gateway)

    public var key: ObjectKey {
        switch self {
        case .serviceImport(let o): return ObjectKey(kind: .serviceImport, namespace: o.metadata.namespace, name: o.metadata.name)
        case .endpointSlice(let o): return ObjectKey(kind: .endpointSlice, namespace: o.metadata.namespace, name: o.metadata.name)
        case .gateway(let o): return ObjectKey(kind: .gateway, namespace: o.metadata.namespace, name: o.metadata.name)
        }
    }

    /// The object's kind and metadata: its key's parts, read in place.
    @inline(__always) var kindAndMetadata: (kind: ObjectKind, metadata: ObjectMeta) {
        switch self {
        case .serviceImport(let o): return (.serviceImport, o.metadata)
        case .endpointSlice(let o): return (.endpointSlice, o.metadata)
        case .gateway(let o): return (.gateway, o.metadata)
        }
    }

    /// Whether the object's key orders before `other`'s (`ObjectKey`'s `<`), without
    /// making either key's strings: the store keeps each service's objects in this
    /// order, and a first load inserts 400,000 objects by it.
    func precedes(_ other: KubeObject) -> Bool {
        let a = kindAndMetadata, b = other.kindAndMetadata
        if a.kind != b.kind { return a.kind.order < b.kind.order }
        return a.metadata.precedes(b.metadata)
    }

    /// Decodes an object of a known kind (a watch event or list item, which may lack
    /// `kind`). Throws a description of what is wrong with it.
    public static func decode(kind: ObjectKind, json: Data) throws -> KubeObject {
        let d = JSONDecoder()
        switch kind {
        case .serviceImport: return .serviceImport(try d.decodeBounded(ServiceImport.self, from: json))
        case .endpointSlice: return .endpointSlice(try d.decodeBounded(EndpointSlice.self, from: json))
        case .gateway: return .gateway(try d.decodeBounded(Gateway.self, from: json))
        }
    }

    /// Decodes an object of a known kind from a decoder already positioned on it (a list
    /// item), without a detour through bytes.
    public static func decode(kind: ObjectKind, from decoder: Decoder) throws -> KubeObject {
        switch kind {
        case .serviceImport: return .serviceImport(try ServiceImport(from: decoder))
        case .endpointSlice: return .endpointSlice(try EndpointSlice(from: decoder))
        case .gateway: return .gateway(try Gateway(from: decoder))
        }
    }

    /// The kind named by an object's `apiVersion` and `kind`, when Sextant reads it.
    public static func kind(apiVersion: String, kind: String) -> ObjectKind? {
        Self.kind(apiVersion: apiVersion, named: ObjectKind(rawValue: kind))
    }

    /// The same for the kind `kind` names.
    static func kind(apiVersion: String, named: ObjectKind?) -> ObjectKind? {
        var apiVersion = apiVersion
        return apiVersion.withUTF8 { Self.kind(apiVersion: UnsafeRawBufferPointer($0), named: named) }
    }

    /// The same on `apiVersion`'s UTF-8 bytes and the kind its `kind` names (the fast
    /// decoder's, without a string).
    static func kind(apiVersion raw: UnsafeRawBufferPointer, named: ObjectKind?) -> ObjectKind? {
        guard let k = named else { return nil }
        // The usual `group/version` compared in place (start-up asks this of every object).
        var group = k.group
        let usual = group.withUTF8 { g in
            guard raw.count > g.count + 1, let r = raw.baseAddress, let gb = g.baseAddress,
                  memEqual(r, gb, g.count), raw[g.count] == UInt8(ascii: "/") else { return false }
            return !raw[(g.count + 1)...].contains(UInt8(ascii: "/"))
        }
        if usual { return k }
        let named = String(decoding: raw, as: UTF8.self).split(separator: "/").dropLast().joined(separator: "/")
        return named == k.group ? k : nil
    }
}

/// A change from a source (zones/ manifests, the Kubernetes API).
public enum StoreEvent: Sendable {
    case upsert(KubeObject)
    case delete(ObjectKey)
}

/// A short, readable reason from a DecodingError: which field and why.
public func describe(_ error: Error) -> String {
    guard let e = error as? DecodingError else { return "\(error)" }
    func path(_ c: [CodingKey]) -> String { c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
    switch e {
    case .keyNotFound(let k, let ctx): return "missing field \((path(ctx.codingPath + [k])))"
    case .typeMismatch(_, let ctx): return "wrong type at \(path(ctx.codingPath))"
    case .valueNotFound(_, let ctx): return "null at \(path(ctx.codingPath))"
    case .dataCorrupted(let ctx): return "\(ctx.debugDescription) at \(path(ctx.codingPath))"
    @unknown default: return "\(e)"
    }
}
