import DNSWire

/// One cluster's record in a table's cluster section.
struct ClusterRecordView {
    let v4: UnsafeRawBufferPointer
    let v6: UnsafeRawBufferPointer
    let ports: PortListView

    package init(section: UnsafeRawBufferPointer, at start: Int) {
        var at = start + 3 + Int(section[start + 2])
        let n4 = Int(section[at]) * 4
        v4 = UnsafeRawBufferPointer(rebasing: section[(at + 1)..<(at + 1 + n4)])
        at += 1 + n4
        let n6 = Int(section[at]) * 16
        v6 = UnsafeRawBufferPointer(rebasing: section[(at + 1)..<(at + 1 + n6)])
        at += 1 + n6
        ports = PortListView(UnsafeRawBufferPointer(rebasing: section[at..<(start + Int(section.u16(at: start)))]))
    }
}
