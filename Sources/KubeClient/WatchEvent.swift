import FoundationEssentials

/// Where an object lives and which version it is: the part of `metadata` every object
/// of every kind has, decoded even when the rest of the object is not understood.
public struct ObjectReference: Decodable, Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var resourceVersion: String?

    enum CodingKeys: String, CodingKey { case metadata }
    enum MetaKeys: String, CodingKey { case name, namespace, resourceVersion }

    public init(name: String, namespace: String, resourceVersion: String?) {
        self.name = name
        self.namespace = namespace
        self.resourceVersion = resourceVersion
    }

    public init(from decoder: Decoder) throws {
        let m = try decoder.container(keyedBy: CodingKeys.self).nestedContainer(keyedBy: MetaKeys.self, forKey: .metadata)
        name = try m.decodeIfPresent(String.self, forKey: .name) ?? ""
        namespace = try m.decodeIfPresent(String.self, forKey: .namespace) ?? ""
        resourceVersion = try m.decodeIfPresent(String.self, forKey: .resourceVersion)
    }
}

/// An object as it came, or why it could not be read: one bad object never spoils a
/// list or a stream.
public struct Decoded<Item: Decodable>: Decodable {
    public var reference: ObjectReference
    public var item: Result<Item, DecodeFailure>

    public init(reference: ObjectReference, item: Result<Item, DecodeFailure>) {
        self.reference = reference
        self.item = item
    }

    public init(from decoder: Decoder) throws {
        reference = try ObjectReference(from: decoder)
        do {
            item = .success(try Item(from: decoder))
        } catch {
            item = .failure(DecodeFailure(reason: KubeConfig.reason(error)))
        }
    }
}

public struct DecodeFailure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

extension Decoded: Sendable where Item: Sendable {}

/// One line of a watch stream.
enum WatchLine<Item: Decodable>: Decodable {
    case added(Decoded<Item>)
    case modified(Decoded<Item>)
    case deleted(Decoded<Item>)
    case bookmark(resourceVersion: String?)
    case error(KubeStatus)
    case unknown(String)

    enum CodingKeys: String, CodingKey { case type, object }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": self = .added(try c.decode(Decoded<Item>.self, forKey: .object))
        case "MODIFIED": self = .modified(try c.decode(Decoded<Item>.self, forKey: .object))
        case "DELETED": self = .deleted(try c.decode(Decoded<Item>.self, forKey: .object))
        case "BOOKMARK": self = .bookmark(resourceVersion: try c.decode(ObjectReference.self, forKey: .object).resourceVersion)
        case "ERROR": self = .error(try c.decode(KubeStatus.self, forKey: .object))
        default: self = .unknown(type)
        }
    }
}

/// One page of a LIST.
struct ListPage<Item: Decodable>: Decodable {
    struct Meta: Decodable {
        var resourceVersion: String?
        var `continue`: String?
    }
    var metadata: Meta
    var items: [Decoded<Item>]?

    init(metadata: Meta, items: [Decoded<Item>]?) {
        self.metadata = metadata
        self.items = items
    }
}
