import DNSWire

/// Answers for `<cluster>.<svc>` names kept as data (`ServiceTableWriter+Clusters`):
/// the bytes the compiled answers would hold, written on demand.
extension NameTable {
    /// Answers a name at or below one of the table's clusters, or nil when the label
    /// before the service's name is no cluster of it (the caller goes on as before).
    ///
    /// - Parameters:
    ///   - name: the lower-cased question name, `length` bytes; the service's name starts
    ///     at `serviceStart`.
    ///   - out: where an answer is written: three counts, then the sections, as a
    ///     compiled answer is laid out; at least `ServiceTableWriter.maxSynthesizedAnswer`.
    func clusterLookup(name: UnsafeRawBufferPointer, length: Int, serviceStart: Int, type: RRType, zone: Int,
                       into out: UnsafeMutableRawBufferPointer) -> AnswerTable.Lookup? {
        guard clusterSection != 0, serviceStart > 0 else { return nil }
        // The labels before the service's name: up to three matter (more is no name).
        var starts: (Int, Int, Int) = (0, 0, 0)
        var count = 0
        var i = 0
        while i < serviceStart {
            starts = (starts.1, starts.2, i)
            count &+= 1
            i &+= 1 &+ Int(name[i])
        }
        guard i == serviceStart else { return nil }
        let clusterAt = starts.2
        let clusterLength = Int(name[clusterAt])
        let section = UnsafeRawBufferPointer(rebasing: arena[clusterSection...])
        var at = 5
        var found = -1
        for _ in 0..<Int(section[4]) {
            let l = Int(section[at + 2])
            if l == clusterLength && memEqual(section.baseAddress! + at + 3, name.baseAddress! + clusterAt + 1, l) {
                found = at
                break
            }
            at += Int(section.u16(at: at))
        }
        guard found >= 0 else { return nil }
        let c = ClusterRecordView(section: section, at: found)
        let ttl = section.loadUnaligned(fromByteOffset: 0, as: UInt32.self)  // already big-endian
        let owner = UnsafeRawBufferPointer(rebasing: name[clusterAt..<length])
        switch count {
        case 1:
            return ownerAnswer(c, type: type, ttl: ttl, owner: owner, zone: zone, out: out)
        case 2:
            // `<label>.<cluster>`: an empty non-terminal above a port name, else NODATA
            // when it looks like a port name of the service itself, else nothing.
            let label = UnsafeRawBufferPointer(rebasing: name[0..<clusterAt])
            if c.hasProtocolLabel(label, ownerLength: owner.count) { return .noData(zone: zone) }
            if label[1] == UInt8(ascii: "_") || NameTable.isProtocolLabel(name, at: clusterAt) { return .noData(zone: zone) }
            return .nxDomain(zone: zone)
        case 3:
            let first = UnsafeRawBufferPointer(rebasing: name[0..<starts.1])
            let second = UnsafeRawBufferPointer(rebasing: name[starts.1..<clusterAt])
            var n = 0
            var o = 6
            let glueOwner = UInt16(0xC000 | (Wire.Header.size + clusterAt))
            func matches(_ portName: UnsafeRawBufferPointer, _ proto: UnsafeRawBufferPointer) -> Bool {
                Self.isPortName(first, second, portName, proto, ownerLength: owner.count)
            }
            c.forEachPort { port, portName, proto in
                guard matches(portName, proto) else { return }
                // Identical records once: an earlier port of this name with this number.
                var repeated = false
                c.forEachPort { p, earlierName, earlierProto in
                    if earlierName.baseAddress! < portName.baseAddress! && p == port && matches(earlierName, earlierProto) { repeated = true }
                }
                if repeated { return }
                if type == .srv { o = Self.srvRecord(port: port, target: owner, ttl: ttl, at: o, out) }
                n += 1
            }
            guard n > 0 else {
                if first[1] == UInt8(ascii: "_") || NameTable.isProtocolLabel(name, at: starts.1) { return .noData(zone: zone) }
                return .nxDomain(zone: zone)
            }
            guard type == .srv else { return .noData(zone: zone) }
            let ar = Self.addressRecords(c, owner: glueOwner, ttl: ttl, v4: true, v6: true, at: &o, out)
            Self.counts(an: n, ar: ar, out)
            return .answer(UnsafeRawBufferPointer(rebasing: out[0..<o]))
        default:
            return .nxDomain(zone: zone)
        }
    }

    /// The cluster's own name: A, AAAA, SRV (with its addresses as glue), ANY.
    private func ownerAnswer(_ c: ClusterRecordView, type: RRType, ttl: UInt32, owner: UnsafeRawBufferPointer, zone: Int,
                             out: UnsafeMutableRawBufferPointer) -> AnswerTable.Lookup {
        var o = 6
        let question: UInt16 = 0xC000 | UInt16(Wire.Header.size)
        var an = 0, ar = 0
        switch type {
        case .a, .aaaa:
            an = Self.addressRecords(c, owner: question, ttl: ttl, v4: type == .a, v6: type == .aaaa, at: &o, out)
        case .srv:
            an = srvRecords(c, target: owner, ttl: ttl, at: &o, out)
            if an > 0 { ar = Self.addressRecords(c, owner: question, ttl: ttl, v4: true, v6: true, at: &o, out) }
        case .any:
            an = Self.addressRecords(c, owner: question, ttl: ttl, v4: true, v6: true, at: &o, out)
            an += srvRecords(c, target: owner, ttl: ttl, at: &o, out)
        default:
            break
        }
        guard an > 0 else { return .noData(zone: zone) }
        Self.counts(an: an, ar: ar, out)
        return .answer(UnsafeRawBufferPointer(rebasing: out[0..<o]))
    }

    /// One SRV record per distinct port number, in the order the ports came.
    private func srvRecords(_ c: ClusterRecordView, target: UnsafeRawBufferPointer, ttl: UInt32, at o: inout Int,
                            _ out: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        var end = o
        c.forEachPort { port, portName, _ in
            if c.portNumberSeen(port, before: portName.baseAddress!) { return }
            end = Self.srvRecord(port: port, target: target, ttl: ttl, at: end, out)
            n += 1
        }
        o = end
        return n
    }

    /// The cluster's IPv4 then IPv6 addresses as records whose owner is a pointer.
    private static func addressRecords(_ c: ClusterRecordView, owner: UInt16, ttl: UInt32, v4: Bool, v6: Bool, at o: inout Int,
                                       _ out: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        for (family, size, rrtype) in [(v4, 4, RRType.a), (v6, 16, RRType.aaaa)] where family {
            let list = size == 4 ? c.v4 : c.v6
            for k in 0..<(list.count / size) {
                out.put16(owner, at: o)
                out.put16(rrtype.rawValue, at: o + 2)
                out.put16(RRClass.in.rawValue, at: o + 4)
                out.baseAddress!.storeBytes(of: ttl, toByteOffset: o + 6, as: UInt32.self)
                out.put16(UInt16(size), at: o + 10)
                (out.baseAddress! + o + 12).copyMemory(from: list.baseAddress! + k * size, byteCount: size)
                o += 12 + size
                n += 1
            }
        }
        return n
    }

    /// An SRV record owned by the question, with Lighthouse's priority and weight, its
    /// target written whole (RFC 2782).
    private static func srvRecord(port: UInt16, target: UnsafeRawBufferPointer, ttl: UInt32, at o: Int,
                                  _ out: UnsafeMutableRawBufferPointer) -> Int {
        out.put16(0xC000 | UInt16(Wire.Header.size), at: o)
        out.put16(RRType.srv.rawValue, at: o + 2)
        out.put16(RRClass.in.rawValue, at: o + 4)
        out.baseAddress!.storeBytes(of: ttl, toByteOffset: o + 6, as: UInt32.self)
        out.put16(UInt16(6 + target.count), at: o + 10)
        out.put16(ServiceResolver.srvPriority, at: o + 12)
        out.put16(ServiceResolver.srvWeight, at: o + 14)
        out.put16(port, at: o + 16)
        (out.baseAddress! + o + 18).copyMemory(from: target.baseAddress!, byteCount: target.count)
        return o + 18 + target.count
    }

    private static func counts(an: Int, ar: Int, _ out: UnsafeMutableRawBufferPointer) {
        out.put16(UInt16(an), at: 0)
        out.put16(0, at: 2)
        out.put16(UInt16(ar), at: 4)
    }

    /// Whether `first.second` (two wire labels) is a port name of `portName`/`proto`:
    /// `_name._proto` or `name.proto`, as the compiler would have made it (labels of 1 to
    /// 63 bytes, the whole name at most 255).
    static func isPortName(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, _ portName: UnsafeRawBufferPointer,
                           _ proto: UnsafeRawBufferPointer, ownerLength: Int) -> Bool {
        guard !portName.isEmpty, first.count + second.count + ownerLength <= Wire.Name.maxLength else { return false }
        return (labelIs(first, portName, underscore: true) && labelIs(second, proto, underscore: true))
            || (labelIs(first, portName, underscore: false) && labelIs(second, proto, underscore: false))
    }

    /// Whether a wire label (length byte first) is `text`, with `_` before it or not.
    static func labelIs(_ label: UnsafeRawBufferPointer, _ text: UnsafeRawBufferPointer, underscore: Bool) -> Bool {
        let extra = underscore ? 1 : 0
        guard Int(label[0]) == text.count + extra, text.count + extra > 0 else { return false }
        if underscore && label[1] != UInt8(ascii: "_") { return false }
        return text.isEmpty || memEqual(label.baseAddress! + 1 + extra, text.baseAddress!, text.count)
    }
}

/// One cluster's record in a table's cluster section.
struct ClusterRecordView {
    let v4: UnsafeRawBufferPointer
    let v6: UnsafeRawBufferPointer
    /// The port list: count, then per port its number, name and protocol.
    let ports: UnsafeRawBufferPointer

    init(section: UnsafeRawBufferPointer, at start: Int) {
        var at = start + 3 + Int(section[start + 2])
        let n4 = Int(section[at]) * 4
        v4 = UnsafeRawBufferPointer(rebasing: section[(at + 1)..<(at + 1 + n4)])
        at += 1 + n4
        let n6 = Int(section[at]) * 16
        v6 = UnsafeRawBufferPointer(rebasing: section[(at + 1)..<(at + 1 + n6)])
        at += 1 + n6
        ports = UnsafeRawBufferPointer(rebasing: section[at..<(start + Int(section.u16(at: start)))])
    }

    /// Each port: its number, name and protocol bytes (lower-cased, no `_`).
    @inline(__always)
    func forEachPort(_ body: (UInt16, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        var at = 1
        for _ in 0..<Int(ports[0]) {
            let port = ports.u16(at: at)
            let nl = Int(ports[at + 2])
            let name = UnsafeRawBufferPointer(rebasing: ports[(at + 3)..<(at + 3 + nl)])
            let pl = Int(ports[at + 3 + nl])
            let proto = UnsafeRawBufferPointer(rebasing: ports[(at + 4 + nl)..<(at + 4 + nl + pl)])
            body(port, name, proto)
            at += 4 + nl + pl
        }
    }

    /// Whether a port before the one whose name starts at `end` has this number.
    func portNumberSeen(_ port: UInt16, before end: UnsafeRawPointer) -> Bool {
        var seen = false
        forEachPort { p, name, _ in
            if name.baseAddress! < end && p == port { seen = true }
        }
        return seen
    }

    /// Whether a one-label name below the cluster is an empty non-terminal: the
    /// protocol label (`_proto` or `proto`) of a named port whose port name fits.
    func hasProtocolLabel(_ label: UnsafeRawBufferPointer, ownerLength: Int) -> Bool {
        var found = false
        forEachPort { _, name, proto in
            guard !found, !name.isEmpty else { return }
            for underscore in [true, false] where NameTable.labelIs(label, proto, underscore: underscore) {
                let extra = underscore ? 1 : 0
                if name.count + extra <= Wire.Name.maxLabelLength && 2 + name.count + extra + label.count - 1 + ownerLength <= Wire.Name.maxLength {
                    found = true
                }
            }
        }
        return found
    }
}
