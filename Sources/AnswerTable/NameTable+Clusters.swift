import DNSWire

/// Answers for `<cluster>.<svc>` names and the service's own port names kept as data
/// (`ServiceTableWriter+Clusters`): the bytes the compiled answers would hold, written
/// on demand into the caller's space, without allocating.
extension NameTable {
    /// Answers a name at or below one of the table's clusters, or one of the service's
    /// own port names when they are data; nil when neither (the caller goes on as before).
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
        var at = 7
        var found = -1
        for _ in 0..<Int(section[6]) {
            let l = Int(section[at + 2])
            if l == clusterLength && memEqual(section.baseAddress! + at + 3, name.baseAddress! + clusterAt + 1, l) {
                found = at
                break
            }
            at += Int(section.u16(at: at))
        }
        let ttl = section.loadUnaligned(fromByteOffset: 0, as: UInt32.self)  // already big-endian
        guard found >= 0 else {
            return keyPortLookup(name: name, length: length, serviceStart: serviceStart, labels: count, starts: starts,
                                 section: section, type: type, ttl: ttl, zone: zone, into: out)
        }
        let c = ClusterRecordView(section: section, at: found)
        let owner = UnsafeRawBufferPointer(rebasing: name[clusterAt..<length])
        switch count {
        case 1:
            return ownerAnswer(c, type: type, ttl: ttl, owner: owner, zone: zone, out: out)
        case 2:
            // `<label>.<cluster>`: an empty non-terminal above a port name, else NODATA
            // when it looks like a port name of the service itself, else nothing.
            let label = UnsafeRawBufferPointer(rebasing: name[0..<clusterAt])
            if c.ports.hasProtocolLabel(label, ownerLength: owner.count) { return .noData(zone: zone) }
            return NameTable.looksLikePortName(name, second: clusterAt) ? .noData(zone: zone) : .nxDomain(zone: zone)
        case 3:
            return Self.portNameAnswer(name: name, second: starts.1, ownerStart: clusterAt, length: length, ports: c.ports,
                                       type: type, ttl: ttl, zone: zone, out) { o in
                Self.addressRecords(c, owner: UInt16(0xC000 | (Wire.Header.size + clusterAt)), ttl: ttl, v4: true, v6: true, at: &o, out)
            }
        default:
            return .nxDomain(zone: zone)
        }
    }

    /// The service's own port names (`_port._proto.<svc>`, `port.proto.<svc>`) and the
    /// empty non-terminals above them, when they are data; nil when they are compiled.
    private func keyPortLookup(name: UnsafeRawBufferPointer, length: Int, serviceStart: Int, labels count: Int,
                               starts: (Int, Int, Int), section: UnsafeRawBufferPointer, type: RRType, ttl: UInt32, zone: Int,
                               into out: UnsafeMutableRawBufferPointer) -> AnswerTable.Lookup? {
        let part = Int(section.u16(at: 4))
        guard part != 0 else { return nil }
        // The glue: per address its length and bytes, in answer order; then the ports.
        var at = part + 1
        for _ in 0..<Int(section[part]) { at += 1 + Int(section[at]) }
        let glue = UnsafeRawBufferPointer(rebasing: section[(part + 1)..<at])
        let ports = PortListView(UnsafeRawBufferPointer(rebasing: section[at...]))
        let owner = UnsafeRawBufferPointer(rebasing: name[serviceStart..<length])
        switch count {
        case 1:
            // `<label>.<svc>` (no cluster of it): an empty non-terminal above a port name.
            let label = UnsafeRawBufferPointer(rebasing: name[0..<serviceStart])
            return ports.hasProtocolLabel(label, ownerLength: owner.count) ? .noData(zone: zone) : .nxDomain(zone: zone)
        case 2:
            return Self.portNameAnswer(name: name, second: starts.2, ownerStart: serviceStart, length: length, ports: ports,
                                       type: type, ttl: ttl, zone: zone, out) { o in
                let glueOwner = UInt16(0xC000 | (Wire.Header.size + serviceStart))
                var g = 0
                var ar = 0
                while g < glue.count {
                    let size = Int(glue[g])
                    o = Self.addressRecord(owner: glueOwner, ttl: ttl, UnsafeRawBufferPointer(rebasing: glue[(g + 1)..<(g + 1 + size)]), at: o, out)
                    g += 1 + size
                    ar += 1
                }
                return ar
            }
        default:
            return .nxDomain(zone: zone)
        }
    }

    /// The answer at the port name `<first>.<second>.<owner>` (the second label at
    /// `second`, the owner at `ownerStart`): its SRV records and the glue `writeGlue`
    /// adds (returning how many records); NODATA for other types, and for a name that
    /// is no port name but looks like one (the owner takes port names); else NXDOMAIN.
    private static func portNameAnswer(name: UnsafeRawBufferPointer, second: Int, ownerStart: Int, length: Int, ports: PortListView,
                                       type: RRType, ttl: UInt32, zone: Int, _ out: UnsafeMutableRawBufferPointer,
                                       writeGlue: (inout Int) -> Int) -> AnswerTable.Lookup {
        let first = UnsafeRawBufferPointer(rebasing: name[0..<second])
        let secondLabel = UnsafeRawBufferPointer(rebasing: name[second..<ownerStart])
        let owner = UnsafeRawBufferPointer(rebasing: name[ownerStart..<length])
        var o = 6
        let n = portNameRecords(first, secondLabel, ports, owner: owner, ttl: ttl, write: type == .srv, at: &o, out)
        guard n > 0 else { return NameTable.looksLikePortName(name, second: second) ? .noData(zone: zone) : .nxDomain(zone: zone) }
        guard type == .srv else { return .noData(zone: zone) }
        let ar = writeGlue(&o)
        counts(an: n, ar: ar, out)
        return .answer(UnsafeRawBufferPointer(rebasing: out[0..<o]))
    }

    /// The SRV records of the port name `first.second` below `owner` (each port of that
    /// name and protocol, identical records once), written when `write`; their count.
    private static func portNameRecords(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, _ ports: PortListView,
                                        owner: UnsafeRawBufferPointer, ttl: UInt32, write: Bool, at o: inout Int,
                                        _ out: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        var end = o
        func matches(_ portName: UnsafeRawBufferPointer, _ proto: UnsafeRawBufferPointer) -> Bool {
            isPortName(first, second, portName, proto, ownerLength: owner.count)
        }
        ports.forEach { port, portName, proto in
            guard matches(portName, proto) else { return }
            // Identical records once: an earlier port of this name with this number.
            var repeated = false
            ports.forEach { p, earlierName, earlierProto in
                if earlierName.baseAddress! < portName.baseAddress! && p == port && matches(earlierName, earlierProto) { repeated = true }
            }
            if repeated { return }
            if write { end = srvRecord(port: port, target: owner, ttl: ttl, at: end, out) }
            n += 1
        }
        o = end
        return n
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
        c.ports.forEach { port, portName, _ in
            if c.ports.portNumberSeen(port, before: portName.baseAddress!) { return }
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
        func add(_ list: UnsafeRawBufferPointer, size: Int) {
            var k = 0
            while k < list.count {
                o = addressRecord(owner: owner, ttl: ttl, UnsafeRawBufferPointer(rebasing: list[k..<(k + size)]), at: o, out)
                n += 1
                k += size
            }
        }
        if v4 { add(c.v4, size: 4) }
        if v6 { add(c.v6, size: 16) }
        return n
    }

    /// An A (4 bytes) or AAAA (16 bytes) record whose owner is a pointer.
    private static func addressRecord(owner: UInt16, ttl: UInt32, _ ip: UnsafeRawBufferPointer, at o: Int,
                                      _ out: UnsafeMutableRawBufferPointer) -> Int {
        out.put16(owner, at: o)
        out.put16(ip.count == 16 ? RRType.aaaa.rawValue : RRType.a.rawValue, at: o + 2)
        out.put16(RRClass.in.rawValue, at: o + 4)
        out.baseAddress!.storeBytes(of: ttl, toByteOffset: o + 6, as: UInt32.self)
        out.put16(UInt16(ip.count), at: o + 10)
        (out.baseAddress! + o + 12).copyMemory(from: ip.baseAddress!, byteCount: ip.count)
        return o + 12 + ip.count
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
        out.put16(ServiceTableWriter.srvPriority, at: o + 12)
        out.put16(ServiceTableWriter.srvWeight, at: o + 14)
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
