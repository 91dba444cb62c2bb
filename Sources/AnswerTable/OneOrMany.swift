/// A list that is almost always exactly one element long, held inline then.
///
/// A ClusterSetIP service's slice has one endpoint with one address (the cluster's
/// service IP) and its ServiceImport one clusterset IP: as arrays these were 64 to
/// 96-byte heap blocks each, kept for the object's lifetime (about 250 bytes per
/// service of three clusters).
public struct OneOrMany<Element>: RandomAccessCollection, ExpressibleByArrayLiteral {
    // Inlinable, so that other modules (the store reads endpoints and addresses of
    // every object) get specialized code, not generic calls that look metadata up.
    @usableFromInline enum Storage {
        case one(Element)
        /// None, or two and more.
        case list([Element])
    }

    @usableFromInline var storage: Storage

    @inlinable public init(_ elements: [Element]) {
        storage = elements.count == 1 ? .one(elements[0]) : .list(elements)
    }

    @inlinable public init(arrayLiteral elements: Element...) { self.init(elements) }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int {
        switch storage {
        case .one: return 1
        case .list(let l): return l.count
        }
    }

    @inlinable public subscript(position: Int) -> Element {
        switch storage {
        case .one(let e):
            precondition(position == 0, "index out of range")
            return e
        case .list(let l): return l[position]
        }
    }

    /// None (no allocation).
    @inlinable public init() { storage = .list([]) }

    /// Exactly one (no allocation).
    @inlinable public init(one element: Element) { storage = .one(element) }

    /// Appends one element. Decoders build their lists with it: the first element is
    /// held inline, so a list of one (nearly every endpoint and address list) never
    /// allocates an array only to drop it.
    @inlinable public mutating func append(_ e: Element) {
        switch storage {
        case .one(let first): storage = .list([first, e])
        case .list(var l):
            if l.isEmpty {
                storage = .one(e)
                return
            }
            // The storage's reference dropped first, so `l` is unique and grows in place.
            storage = .list([])
            l.append(e)
            storage = .list(l)
        }
    }
}

extension OneOrMany: Equatable where Element: Equatable {
    @inlinable public static func == (a: OneOrMany, b: OneOrMany) -> Bool { a.elementsEqual(b) }
}

extension OneOrMany: Sendable where Element: Sendable {}
extension OneOrMany.Storage: Sendable where Element: Sendable {}

/// An endpoint's addresses.
public typealias IPAddresses = OneOrMany<IPAddress>
