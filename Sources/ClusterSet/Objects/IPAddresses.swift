/// An endpoint's addresses: almost always exactly one, held inline then.
///
/// A ClusterSetIP service's slice has one endpoint with one address, the cluster's
/// service IP; as a `[IPAddress]` that was a 64-byte heap block per endpoint kept for
/// the object's lifetime (about 190 bytes per service of three clusters).
public struct IPAddresses: RandomAccessCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
    private enum Storage: Equatable, Sendable {
        case one(IPAddress)
        /// None, or two and more.
        case list([IPAddress])
    }

    private let storage: Storage

    public init(_ addresses: [IPAddress]) {
        storage = addresses.count == 1 ? .one(addresses[0]) : .list(addresses)
    }

    public init(arrayLiteral elements: IPAddress...) { self.init(elements) }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .one: return 1
        case .list(let l): return l.count
        }
    }

    public subscript(position: Int) -> IPAddress {
        switch storage {
        case .one(let ip):
            precondition(position == 0, "index out of range")
            return ip
        case .list(let l): return l[position]
        }
    }
}
