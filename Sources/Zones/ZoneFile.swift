#if canImport(Glibc)
import Glibc
#endif
import CLDNS
import AnswerTable
import ClusterSet
import DNSWire
import Locking

/// Reads one RFC 1035 master file and checks it is a zone Sextant can serve.
///
/// Plain files (the usual types and syntax) are read by `PlainZoneFile`; everything else
/// — every type libldns knows, its syntax, and every file with an error, for libldns's
/// message and line — by libldns, opened on first use (`CLDNS`). libldns is used here
/// only, where files are read; it never sees a query.
public enum ZoneFile {
    /// TTL for records without one and without `$TTL` (RFC 2308 makes `$TTL` the norm).
    public static let defaultTTL: UInt32 = 3600

    /// - Parameter origin: the origin before any `$ORIGIN` line; by convention the file
    ///   name without `.zone`.
    public static func load(path: String, origin: DNSName) throws(ZoneFileError) -> ZoneContent {
        try parse(try contents(path), path: path, origin: origin)
    }

    /// A zone file's text already in memory; `path` only names it in errors.
    public static func parse(_ text: [UInt8], path: String, origin: DNSName) throws(ZoneFileError) -> ZoneContent {
        if let content = plain(text, origin: origin) { return content }
        return try parseWithLDNS(text, path: path, origin: origin)
    }

    /// The zone as `PlainZoneFile` reads it, or nil when the file is libldns's to read
    /// (outside the plain subset, or not a zone Sextant serves: libldns then says why).
    public static func plain(_ text: [UInt8], origin: DNSName) -> ZoneContent? {
        guard let records = PlainZoneFile.records(text, origin: origin, defaultTTL: defaultTTL) else { return nil }
        // The checks' messages are never shown: libldns reads a file they refuse.
        return try? assemble(records, path: "", isSOA: { $0.type == .soa }, record: { r throws(ZoneFileError) in r }, text: { "\($0.name)" })
    }

    /// The zone as libldns reads it, whatever the file holds (the fuzz target and the
    /// tests compare the two readers with it).
    public static func parseWithLDNS(_ text: [UInt8], path: String, origin: DNSName) throws(ZoneFileError) -> ZoneContent {
        if let failure = cldns_load() {
            throw ZoneFileError(path: path, reason: "this file needs libldns, which cannot be loaded: \(String(cString: failure))")
        }
        // fmemopen refuses an empty buffer; an empty line reads the same as nothing.
        var bytes = text.isEmpty ? [UInt8(ascii: "\n")] : text
        return try bytes.withUnsafeMutableBytes { raw in
            Result { () throws(ZoneFileError) -> ZoneContent in
                guard let fp = fmemopen(raw.baseAddress, raw.count, "r") else {
                    throw ZoneFileError(path: path, reason: "cannot open: \(SystemText.errno())")
                }
                defer { fclose(fp) }
                return try load(stream: fp, path: path, origin: origin)
            }
        }.get()
    }

    /// The whole file (zone files are read whole, as Knot and NSD do).
    static func contents(_ path: String) throws(ZoneFileError) -> [UInt8] {
        switch FileBytes.read(path) {
        case .success(let bytes): return bytes
        case .failure(.open(let e)): throw ZoneFileError(path: path, reason: "cannot open: \(SystemText.describe(e))")
        case .failure(.read(let e)): throw ZoneFileError(path: path, reason: "cannot read: \(SystemText.describe(e))")
        case .failure(.tooLarge): throw ZoneFileError(path: path, reason: "cannot read: too large")
        }
    }

    static func load(stream fp: UnsafeMutablePointer<FILE>, path: String, origin: DNSName) throws(ZoneFileError) -> ZoneContent {
        guard let originRdf = cldns_dname_new_frm_str(origin.description) else {
            throw ZoneFileError(path: path, reason: "bad origin \(origin)")
        }
        defer { cldns_rdf_deep_free(originRdf) }

        // Record by record rather than ldns_zone_new_frm_fp_l, which (libldns 1.8.3) reads
        // freed memory when a file holds several SOA records and leaks what it had read
        // when a line does not parse (both found by FuzzZoneFile; docs/HARDENING.md).
        var ttl = defaultTTL
        var currentOrigin: UnsafeMutablePointer<ldns_rdf>? = cldns_rdf_clone(originRdf)
        var previous: UnsafeMutablePointer<ldns_rdf>? = nil
        var line: Int32 = 0
        var parsed: [UnsafeMutablePointer<ldns_rr>] = []
        defer {
            for rr in parsed { cldns_rr_free(rr) }
            if let o = currentOrigin { cldns_rdf_deep_free(o) }
            if let p = previous { cldns_rdf_deep_free(p) }
        }
        while feof(fp) == 0 {
            var rr: UnsafeMutablePointer<ldns_rr>? = nil
            let status = cldns_rr_new_frm_fp_l(&rr, fp, &ttl, &currentOrigin, &previous, &line)
            switch status {
            case LDNS_STATUS_OK:
                if let rr { parsed.append(rr) }
            case LDNS_STATUS_SYNTAX_EMPTY, LDNS_STATUS_SYNTAX_TTL, LDNS_STATUS_SYNTAX_ORIGIN:
                continue
            case LDNS_STATUS_SYNTAX_INCLUDE:
                throw ZoneFileError(path: path, line: Int(line), reason: "$INCLUDE is not supported: put the records in this file")
            default:
                let text = cldns_get_errorstr_by_id(status).map { String(cString: $0) } ?? "parse error \(status.rawValue)"
                throw ZoneFileError(path: path, line: Int(line), reason: text.lowercased())
            }
        }
        return try assemble(parsed, path: path, isSOA: { cldns_rr_get_type($0) == LDNS_RR_TYPE_SOA },
                            record: { rr throws(ZoneFileError) in try record(rr, path: path) }, text: text)
    }

    /// The zone from its records in file order: the first SOA is the apex, and every
    /// other record must lie under it. `record` converts one (libldns's records are
    /// converted only as they are checked, so the first problem is the one reported).
    static func assemble<R>(
        _ items: [R], path: String, isSOA: (R) -> Bool,
        record: (R) throws(ZoneFileError) -> ResourceRecord, text: (R) -> String
    ) throws(ZoneFileError) -> ZoneContent {
        guard let soaIndex = items.firstIndex(where: isSOA) else {
            throw ZoneFileError(path: path, reason: "no SOA record: a zone needs exactly one, at its apex")
        }
        let soa = try record(items[soaIndex])
        let apex = soa.name
        var records: [ResourceRecord] = []
        records.reserveCapacity(items.count - 1)
        for (i, item) in items.enumerated() where i != soaIndex {
            let r = try record(item)
            guard r.name.isSubdomain(of: apex) else {
                throw ZoneFileError(path: path, reason: "\(text(item)) is outside the zone \(apex)")
            }
            if r.type == RRType.soa {
                throw ZoneFileError(path: path, reason: "a second SOA record: \(text(item))")
            }
            records.append(r)
        }
        try checkCNAMEs(records, soa: soa, path: path)
        return ZoneContent(apex: apex, soa: soa, records: records)
    }

    /// RFC 1034 §3.6.2: a CNAME owner has no other data; and the apex has an SOA, so
    /// it can never be a CNAME.
    static func checkCNAMEs(_ records: [ResourceRecord], soa: ResourceRecord, path: String) throws(ZoneFileError) {
        var types: [DNSName: Set<RRType>] = [soa.name: [.soa]]
        for r in records { types[r.name, default: []].insert(r.type) }
        for (name, set) in types where set.contains(.cname) && set.count > 1 {
            throw ZoneFileError(path: path, reason: "\(name) has a CNAME and other records")
        }
        if let cnames = Optional(records.filter { $0.type == .cname }),
           let dup = Dictionary(grouping: cnames, by: \.name).first(where: { $0.value.count > 1 }) {
            throw ZoneFileError(path: path, reason: "\(dup.key) has more than one CNAME")
        }
    }

    static func record(_ rr: UnsafeMutablePointer<ldns_rr>, path: String) throws(ZoneFileError) -> ResourceRecord {
        guard cldns_rr_get_class(rr) == LDNS_RR_CLASS_IN else {
            throw ZoneFileError(path: path, reason: "only class IN is served: \(text(rr))")
        }
        guard let ownerRdf = cldns_rr_owner(rr) else { throw ZoneFileError(path: path, reason: "record without owner") }
        let owner: DNSName
        do { owner = try DNSName(wire: bytes(ownerRdf)) } catch {
            throw ZoneFileError(path: path, reason: "bad owner name in \(text(rr)): \(error)")
        }
        var pieces: [RData.Piece] = []
        for i in 0..<cldns_rr_rd_count(rr) {
            guard let rdf = cldns_rr_rdf(rr, i) else { continue }
            let b = bytes(rdf)
            if cldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME {
                do { pieces.append(.name(try DNSName(wire: b))) } catch {
                    throw ZoneFileError(path: path, reason: "bad name in \(text(rr)): \(error)")
                }
            } else {
                pieces.append(.bytes(b))
            }
        }
        let type = RRType(UInt16(truncatingIfNeeded: cldns_rr_get_type(rr).rawValue))
        let rdata = RData(pieces)
        guard rdata.wireLength <= 65535 else { throw ZoneFileError(path: path, reason: "RDATA too long in \(text(rr))") }
        return ResourceRecord(name: owner, type: type, ttl: cldns_rr_ttl(rr), rdata: rdata)
    }

    static func bytes(_ rdf: UnsafeMutablePointer<ldns_rdf>) -> [UInt8] {
        let n = cldns_rdf_size(rdf)
        guard n > 0, let p = cldns_rdf_data(rdf) else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }

    /// The record in presentation format, for error messages.
    static func text(_ rr: UnsafeMutablePointer<ldns_rr>) -> String {
        guard let c = cldns_rr2str(rr) else { return "record" }
        defer { free(c) }
        var s = String(cString: c)
        while s.last == "\n" { s.removeLast() }
        return s.replacingTabs()
    }
}

extension String {
    func replacingTabs() -> String { String(map { $0 == "\t" ? " " : $0 }) }
}

enum SystemText {
    static func errno() -> String { describe(Glibc.errno) }

    static func describe(_ e: Int32) -> String { strerror(e).map { String(cString: $0) } ?? "errno \(e)" }
}
