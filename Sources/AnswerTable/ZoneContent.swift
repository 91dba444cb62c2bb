import DNSWire

/// The records of one served zone, as sources hand them to the compiler: the apex, its
/// SOA (which every negative answer carries) and every other record, NS included.
public struct ZoneContent: Sendable, Equatable {
    public var apex: DNSName
    public var soa: ResourceRecord
    public var records: [ResourceRecord]

    public init(apex: DNSName, soa: ResourceRecord, records: [ResourceRecord]) {
        self.apex = apex
        self.soa = soa
        self.records = records
    }

    /// A zone that has no zone file: an SOA and one NS, so negative answers still carry
    /// an SOA (RFC 2308) and the apex answers NS. MINIMUM 5 matches the positive TTL.
    public static func builtIn(apex: DNSName) -> ZoneContent {
        let ns = (try? apex.prepending(label: Array("ns".utf8))) ?? apex
        let host = (try? apex.prepending(label: Array("hostmaster".utf8))) ?? apex
        let soa = ResourceRecord(
            name: apex, type: .soa, ttl: 5,
            rdata: .soa(mname: ns, rname: host, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5))
        return ZoneContent(apex: apex, soa: soa, records: [ResourceRecord(name: apex, type: .ns, ttl: 5, rdata: .name(ns))])
    }
}
