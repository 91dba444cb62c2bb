#if canImport(Glibc)
import Glibc
#endif
import CLDNS
import AnswerTable
import ClusterSet
import DNSWire

/// Reads one RFC 1035 master file through libldns (`$ORIGIN`, `$TTL`, every type ldns
/// knows) and checks it is a zone Sextant can serve.
///
/// libldns is used here only, where files are read; it never sees a query.
public enum ZoneFile {
    /// TTL for records without one and without `$TTL` (RFC 2308 makes `$TTL` the norm).
    public static let defaultTTL: UInt32 = 3600

    /// - Parameter origin: the origin before any `$ORIGIN` line; by convention the file
    ///   name without `.zone`.
    public static func load(path: String, origin: DNSName) throws(ZoneFileError) -> ZoneContent {
        guard let fp = fopen(path, "r") else {
            throw ZoneFileError(path: path, reason: "cannot open: \(SystemText.errno())")
        }
        defer { fclose(fp) }
        return try load(stream: fp, path: path, origin: origin)
    }

    /// A zone file's text already in memory (the fuzz target: the parser without a file
    /// per input); `path` only names it in errors.
    public static func parse(_ text: [UInt8], path: String, origin: DNSName) throws(ZoneFileError) -> ZoneContent {
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

    static func load(stream fp: UnsafeMutablePointer<FILE>, path: String, origin: DNSName) throws(ZoneFileError) -> ZoneContent {
        guard let originRdf = ldns_dname_new_frm_str(origin.description) else {
            throw ZoneFileError(path: path, reason: "bad origin \(origin)")
        }
        defer { ldns_rdf_deep_free(originRdf) }

        // Record by record rather than ldns_zone_new_frm_fp_l, which (libldns 1.8.3) reads
        // freed memory when a file holds several SOA records and leaks what it had read
        // when a line does not parse (both found by FuzzZoneFile; docs/HARDENING.md).
        var ttl = defaultTTL
        var currentOrigin: UnsafeMutablePointer<ldns_rdf>? = ldns_rdf_clone(originRdf)
        var previous: UnsafeMutablePointer<ldns_rdf>? = nil
        var line: Int32 = 0
        var parsed: [UnsafeMutablePointer<ldns_rr>] = []
        defer {
            for rr in parsed { ldns_rr_free(rr) }
            if let o = currentOrigin { ldns_rdf_deep_free(o) }
            if let p = previous { ldns_rdf_deep_free(p) }
        }
        while feof(fp) == 0 {
            var rr: UnsafeMutablePointer<ldns_rr>? = nil
            let status = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &currentOrigin, &previous, &line)
            switch status {
            case LDNS_STATUS_OK:
                if let rr { parsed.append(rr) }
            case LDNS_STATUS_SYNTAX_EMPTY, LDNS_STATUS_SYNTAX_TTL, LDNS_STATUS_SYNTAX_ORIGIN:
                continue
            case LDNS_STATUS_SYNTAX_INCLUDE:
                throw ZoneFileError(path: path, line: Int(line), reason: "$INCLUDE is not supported: put the records in this file")
            default:
                let text = ldns_get_errorstr_by_id(status).map { String(cString: $0) } ?? "parse error \(status.rawValue)"
                throw ZoneFileError(path: path, line: Int(line), reason: text.lowercased())
            }
        }

        guard let soaRR = parsed.first(where: { ldns_rr_get_type($0) == LDNS_RR_TYPE_SOA }) else {
            throw ZoneFileError(path: path, reason: "no SOA record: a zone needs exactly one, at its apex")
        }
        let soa = try record(soaRR, path: path)
        let apex = soa.name
        var records: [ResourceRecord] = []
        for rr in parsed where rr != soaRR {
            let r = try record(rr, path: path)
            guard r.name.isSubdomain(of: apex) else {
                throw ZoneFileError(path: path, reason: "\(text(rr)) is outside the zone \(apex)")
            }
            if r.type == RRType.soa {
                throw ZoneFileError(path: path, reason: "a second SOA record: \(text(rr))")
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
        guard ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN else {
            throw ZoneFileError(path: path, reason: "only class IN is served: \(text(rr))")
        }
        guard let ownerRdf = ldns_rr_owner(rr) else { throw ZoneFileError(path: path, reason: "record without owner") }
        let owner: DNSName
        do { owner = try DNSName(wire: bytes(ownerRdf)) } catch {
            throw ZoneFileError(path: path, reason: "bad owner name in \(text(rr)): \(error)")
        }
        var pieces: [RData.Piece] = []
        for i in 0..<ldns_rr_rd_count(rr) {
            guard let rdf = ldns_rr_rdf(rr, i) else { continue }
            let b = bytes(rdf)
            if ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME {
                do { pieces.append(.name(try DNSName(wire: b))) } catch {
                    throw ZoneFileError(path: path, reason: "bad name in \(text(rr)): \(error)")
                }
            } else {
                pieces.append(.bytes(b))
            }
        }
        let type = RRType(UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue))
        let rdata = RData(pieces)
        guard rdata.wireLength <= 65535 else { throw ZoneFileError(path: path, reason: "RDATA too long in \(text(rr))") }
        return ResourceRecord(name: owner, type: type, ttl: ldns_rr_ttl(rr), rdata: rdata)
    }

    static func bytes(_ rdf: UnsafeMutablePointer<ldns_rdf>) -> [UInt8] {
        let n = ldns_rdf_size(rdf)
        guard n > 0, let p = ldns_rdf_data(rdf) else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }

    /// The record in presentation format, for error messages.
    static func text(_ rr: UnsafeMutablePointer<ldns_rr>) -> String {
        guard let c = ldns_rr2str(rr) else { return "record" }
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
    static func errno() -> String {
        let e = Glibc.errno
        return strerror(e).map { String(cString: $0) } ?? "errno \(e)"
    }
}
