import DNSWire

/// A ClusterSetIP service's `<cluster>.<svc>` names as data instead of answers.
///
/// Three quarters of such a service's table were its clusters' names: per cluster the
/// name, two port-name SRV owners and their two empty non-terminals, with A, SRV and
/// ANY answers compiled for each (about 630 bytes a cluster, 1.9 KB of a 2.9 KB
/// table). They follow one fixed pattern, so the table keeps each cluster's label,
/// addresses and ports (about 30 bytes) and `NameTable.clusterLookup` writes the same
/// bytes the compiled answers held when such a name is asked: a few records copied
/// into the worker's scratch, no allocation. The service's own names stay compiled.
///
/// When the service's own SRV answers are fixed (no rotation), its port names
/// (`_port._proto.<svc>`, `port.proto.<svc>`) are kept the same way.
///
/// Section layout (in the arena, at `NameTable.clusterSection`): the TTL (UInt32), where
/// the service's port names start (UInt16, from the section's start; 0: compiled), the
/// cluster count (UInt8), then per cluster its record's length (UInt16, itself
/// included), the label (length, bytes), the IPv4 addresses (count, 4 bytes each), the
/// IPv6 addresses (count, 16 bytes each) and the ports (count; per port its number
/// (UInt16), name and protocol (length, bytes each), lower-cased, without `_`). The
/// service's port names: the SRV answers' glue (count; per address its length, 4 or 16,
/// and bytes, in answer order), then the ports as a cluster's.
extension ServiceTableWriter {
    /// The service's own port names as data: its SRV ports and their answers' glue.
    package struct KeyPortNames {
        var ports: [ServicePort]
        var glue: [IPAddress]

        /// Nil when the answers could outgrow `maxSynthesizedAnswer` or the lists their
        /// one-byte counts.
        package init?(ports: [ServicePort], glue: [IPAddress], keyLength: Int) {
            guard ports.count <= 255, glue.count <= 255,
                  ports.allSatisfy({ $0.name.utf8.count <= 255 && $0.proto.utf8.count <= 255 }),
                  6 + glue.count * 28 + ports.count * (18 + keyLength) <= ServiceTableWriter.maxSynthesizedAnswer else { return nil }
            self.ports = ports
            self.glue = glue
        }
    }

    /// What one cluster's names answer: `ServiceResolver.writeClusterSetIP`'s rules.
    package struct ClusterNames {
        /// The cluster id, a label (written lower-cased).
        var label: String
        var v4: IPAddresses
        var v6: IPAddresses
        var ports: [ServicePort]

        package init(label: String, v4: IPAddresses, v6: IPAddresses, ports: [ServicePort]) {
            self.label = label
            self.v4 = v4
            self.v6 = v6
            self.ports = ports
        }
    }

    /// The largest answer a cluster's names may need: the worker's scratch holds it
    /// (`Responder.scratchSize`). A service whose clusters need more is compiled whole.
    static let maxSynthesizedAnswer = 4096

    /// The cluster names of a table as data, or nil when one of them cannot be, and
    /// the service's names must all be compiled: a label that could also be one of the
    /// service's own names (`_x`, a port's protocol), two clusters with one label, or
    /// answers beyond `maxSynthesizedAnswer`.
    /// One exporting cluster as the cluster section needs it (a struct: as a tuple with
    /// these fields every copy went through the runtime's generic value witnesses).
    package typealias ClusterInput = ClusterNames

    package static func clusterNames(_ records: [ClusterInput], keyLength: Int, keyPorts: [ServicePort]) -> [ClusterNames]? {
        var out: [ClusterNames] = []
        out.reserveCapacity(records.count)
        // The protocols' lengths first (a bit each below 64, one bit for all longer): a
        // cluster id is rarely as long as one, and then no protocol is compared with it.
        var protocolLengths: UInt64 = 0
        func bit(_ n: Int) -> UInt64 { 1 << UInt64(Swift.min(n, 63)) }
        for p in keyPorts { protocolLengths |= bit(p.proto.utf8.count) }
        for r in records { for p in r.ports { protocolLengths |= bit(p.proto.utf8.count) } }
        func isProtocol(_ label: String) -> Bool {
            guard protocolLengths & bit(label.utf8.count) != 0 else { return false }
            return keyPorts.contains { sameLabel($0.proto, false, label, false) }
                || records.contains { $0.ports.contains { sameLabel($0.proto, false, label, false) } }
        }
        for r in records {
            let label = r.label
            let count = label.utf8.count
            // The names the compiler would skip (no such cluster name) are skipped alike.
            guard Self.isLabel(label), 1 + count + keyLength <= Wire.Name.maxLength else { continue }
            let ownLabel = label.utf8.first != UInt8(ascii: "_") && !isProtocol(label)
            let distinct = !out.contains(where: { sameLabel($0.label, false, label, false) })
            let small = r.ports.count <= 255 && r.v4.count <= 255 && r.v6.count <= 255
            let shortPorts = r.ports.allSatisfy { (p: ServicePort) -> Bool in p.name.utf8.count <= 255 && p.proto.utf8.count <= 255 }
            guard ownLabel && distinct && small && shortPorts else { return nil }
            let owner = 1 + count + keyLength
            let largest = 6 + r.v4.count * 16 + r.v6.count * 28 + r.ports.count * (18 + owner)
            guard largest <= maxSynthesizedAnswer else { return nil }
            out.append(r)
        }
        return out
    }

    /// Writes the clusters' section; `finish` hands it to the table.
    package mutating func clusterSection(_ clusters: [ClusterNames], keyPorts: KeyPortNames?, keyLength: Int) {
        guard !clusters.isEmpty || keyPorts != nil else { return }
        let a = arena
        let section = a.count
        clusterSectionOffset = section
        a.appendUInt32(ttl)
        a.appendUInt16(0)
        a.append(UInt8(clusters.count))
        for c in clusters {
            let start = a.count
            a.appendUInt16(0)
            Self.append(text: c.label, to: a)
            a.append(UInt8(c.v4.count))
            for ip in c.v4 { ip.append(to: a) }
            a.append(UInt8(c.v6.count))
            for ip in c.v6 { ip.append(to: a) }
            Self.append(ports: c.ports, to: a)
            a.setUInt16(UInt16(a.count - start), at: start)
            synthesizedNameCount += 1 + Self.portNameCount(c.ports, ownerLength: 1 + c.label.utf8.count + keyLength)
        }
        guard let k = keyPorts else { return }
        a.setUInt16(UInt16(a.count - section), at: section + 4)
        a.append(UInt8(k.glue.count))
        for ip in k.glue {
            a.append(ip.isIPv6 ? 16 : 4)
            ip.append(to: a)
        }
        Self.append(ports: k.ports, to: a)
        synthesizedNameCount += Self.portNameCount(k.ports, ownerLength: keyLength)
    }

    private static func append(ports: [ServicePort], to a: WireBuffer) {
        a.append(UInt8(ports.count))
        for p in ports {
            a.appendUInt16(p.port)
            append(text: p.name, to: a)
            append(text: p.proto, to: a)
        }
    }

    /// A length byte, then the text lower-cased (ASCII, as names are stored).
    private static func append(text: String, to a: WireBuffer) {
        a.append(UInt8(text.utf8.count))
        a.appendLowercased(text)
    }

    /// Whether two labels are the same once lower-cased, each with `_` before it or not
    /// (compared in place: through `String.UTF8View` iterators it was most of counting
    /// a service's port names).
    static func sameLabel(_ a: String, _ underscoreA: Bool, _ b: String, _ underscoreB: Bool) -> Bool {
        guard a.utf8.count + (underscoreA ? 1 : 0) == b.utf8.count + (underscoreB ? 1 : 0) else { return false }
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                // One underscore cancels out; a lone one must meet an underscore.
                var i = 0, j = 0
                if underscoreA && !underscoreB {
                    guard y.first == UInt8(ascii: "_") else { return false }
                    j = 1
                } else if underscoreB && !underscoreA {
                    guard x.first == UInt8(ascii: "_") else { return false }
                    i = 1
                }
                while i < x.count {
                    guard DNSName.lower(x[i]) == DNSName.lower(y[j]) else { return false }
                    i += 1
                    j += 1
                }
                return true
            }
        }
    }

    /// The port names below an owner and the empty non-terminals above them, for
    /// `nameCount`: each distinct, as the compiler interns them (both forms of every
    /// named port whose name fits).
    static func portNameCount(_ ports: [ServicePort], ownerLength: Int) -> Int {
        func fits(_ p: ServicePort, _ u: Bool) -> Bool {
            let extra = u ? 1 : 0
            let nl = p.name.utf8.count + extra, pl = p.proto.utf8.count + extra
            return !p.name.isEmpty && pl > 0 && nl <= Wire.Name.maxLabelLength && pl <= Wire.Name.maxLabelLength
                && 2 + nl + pl + ownerLength <= Wire.Name.maxLength
        }
        // One port (the usual case): both forms count their two labels when they fit
        // (the forms' protocol labels differ by the underscore, so none is shared).
        if ports.count == 1 {
            return (fits(ports[0], true) ? 2 : 0) + (fits(ports[0], false) ? 2 : 0)
        }
        var count = 0
        for (i, p) in ports.enumerated() {
            for form in 0..<2 {
                // The `_name._proto` form first, then `name.proto`.
                let u = form == 0
                guard fits(p, u) else { continue }
                // Earlier in (port, form) order: the same protocol label, the same port name.
                var sameProto = false, sameName = false
                for (j, q) in ports.enumerated() where j <= i {
                    for earlierForm in 0..<2 {
                        let v = earlierForm == 0
                        guard (j < i || (v && !u)) && fits(q, v) && sameLabel(q.proto, v, p.proto, u) else { continue }
                        sameProto = true
                        if sameLabel(q.name, v, p.name, u) { sameName = true }
                    }
                }
                if !sameProto { count += 1 }
                if !sameName { count += 1 }
            }
        }
        return count
    }
}
