import DNSWire

/// A port list in a table's cluster section: count, then per port its number, name
/// and protocol.
struct PortListView {
    let ports: UnsafeRawBufferPointer

    package init(_ ports: UnsafeRawBufferPointer) { self.ports = ports }

    /// Each port: its number, name and protocol bytes (lower-cased, no `_`).
    @inline(__always)
    func forEach(_ body: (UInt16, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
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
        forEach { p, name, _ in
            if name.baseAddress! < end && p == port { seen = true }
        }
        return seen
    }

    /// Whether a one-label name below the cluster is an empty non-terminal: the
    /// protocol label (`_proto` or `proto`) of a named port whose port name fits.
    func hasProtocolLabel(_ label: UnsafeRawBufferPointer, ownerLength: Int) -> Bool {
        var found = false
        forEach { _, name, proto in
            guard !found, !name.isEmpty else { return }
            // The port name `<_name or name>.<label>.<owner>` must be a name too.
            for extra in 0...1 where NameTable.labelIs(label, proto, underscore: extra == 1) {
                if name.count + extra <= Wire.Name.maxLabelLength && 1 + name.count + extra + label.count + ownerLength <= Wire.Name.maxLength {
                    found = true
                }
            }
        }
        return found
    }
}
