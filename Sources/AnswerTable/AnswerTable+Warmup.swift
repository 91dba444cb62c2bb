import DNSWire

extension AnswerTable {
    /// Walks ahead of a lookup one dependent step at a time, saying which memory the
    /// next step (and in the end the lookup) will read, so that a batch loop can
    /// prefetch it for every query of the batch before doing any lookup.
    ///
    /// A service's names live in a table of their own, so a lookup is a chain of
    /// dependent reads (directory slot, the table's block or object, its type entries or
    /// slot, the answer), each a likely cache miss with 10,000 services. Taken one query
    /// after the other the misses add up; stepped together over a batch, those of all
    /// its queries are in flight at once. A step reads only memory the previous step
    /// named, and changes nothing (no rotation advances).
    public struct WarmProbe {
        enum State {
            case start(UnsafePointer<ServiceChunk.Slot>, Int)
            case slot(UnsafePointer<ServiceChunk.Slot>, Int)
            case keyBlock(UnsafeRawPointer)
            case keyTypes(UnsafeRawPointer)
            /// The table, and the end of its block's key (the directory's comparison reads it).
            case table(Unmanaged<NameTable>, Int)
            case tableHeader(Unmanaged<NameTable>)
            case tableSlot(Unmanaged<NameTable>, Int)
            case tableNode(Unmanaged<NameTable>, Int)
            case done
        }

        /// Steps a batch loop gives a probe (one more for each directory or table slot
        /// that holds another name before the asked one); `next()` returns nil once the
        /// probe is through.
        public static let steps = 8

        var state: State
        let hash: UInt64
        /// The hash of the service's own name (the directory's key): `hash` when the
        /// question is that name.
        let serviceHash: UInt64
        let type: RRType
        /// The question is the service's own name (the block path), not a name below it.
        let serviceName: Bool

        /// A probe for a question; nil when the name is not under a service (the zone
        /// files' names are one table, small and usually in cache).
        @inline(__always)
        public init?(table: AnswerTable, name: UnsafeRawBufferPointer, length: Int, hash: UInt64, type: RRType) {
            guard let location = table.locate(name: name, length: length), let third = location.serviceStart else { return nil }
            let suffixHash = third == 0 ? hash : NameHash.hash(name.baseAddress! + third, count: length &- third)
            let (slots, index) = table.services.probeStart(hash: suffixHash)
            state = .start(slots, index)
            self.hash = hash
            serviceHash = suffixHash
            self.type = type
            serviceName = third == 0
        }

        /// The memory the following step reads (possibly empty), having read what the
        /// previous one named; nil once the probe has reached the answer.
        @inline(__always)
        public mutating func next() -> UnsafeRawBufferPointer? {
            switch state {
            case .start(let slots, let i):
                state = .slot(slots, i)
                return UnsafeRawBufferPointer(start: slots + i, count: MemoryLayout<ServiceChunk.Slot>.size)
            case .slot(let slots, let i):
                let s = slots[i]
                guard let key = s.key, let table = s.table else { break }
                if s.hash != serviceHash {
                    // Another service's slot: `find` probes on to the next one. Without
                    // following it, the probe warmed another service's block.
                    let j = (i &+ 1) & (ServiceChunk.size &- 1)
                    state = .slot(slots, j)
                    return UnsafeRawBufferPointer(start: slots + j, count: MemoryLayout<ServiceChunk.Slot>.size)
                }
                if serviceName {
                    let block = key - NameTable.keyOffset
                    state = .keyBlock(block)
                    return UnsafeRawBufferPointer(start: block, count: Self.firstBytes)
                }
                state = .table(table, NameTable.keyOffset &+ s.keyLength)
                return UnsafeRawBufferPointer(start: table.toOpaque(), count: Self.objectBytes)
            case .keyBlock(let block):
                state = .keyTypes(block)
                let hot = NameTable.hotBytes(block: block)
                return UnsafeRawBufferPointer(start: block + Self.firstBytes, count: max(0, hot - Self.firstBytes))
            case .keyTypes(let block):
                state = .done
                guard let answer = NameTable.keyAnswerPeek(block: block, type: type) else { return nil }
                return UnsafeRawBufferPointer(start: answer.baseAddress, count: min(answer.count, Self.answerBytes))
            case .table(let table, let keyEnd):
                state = .tableHeader(table)
                // The header and the key: `find` compares the key before the table is read.
                return table._withUnsafeGuaranteedRef { t in UnsafeRawBufferPointer(start: t.block, count: keyEnd) }
            case .tableHeader(let table):
                return table._withUnsafeGuaranteedRef { t in
                    let i = Int(truncatingIfNeeded: hash) & t.slotMask
                    state = .tableSlot(table, i)
                    return UnsafeRawBufferPointer(start: t.slots.baseAddress! + i, count: MemoryLayout<NameTable.Slot>.size)
                }
            case .tableSlot(let table, let i):
                return table._withUnsafeGuaranteedRef { t in
                    let s = t.slots[i]
                    guard s.nameLength != 0 else {
                        state = .done
                        // Not a compiled name: a cluster's, kept as data, is next.
                        guard t.clusterSection != 0 else { return nil }
                        return UnsafeRawBufferPointer(start: t.arena.baseAddress! + t.clusterSection,
                                                      count: min(t.arena.count - t.clusterSection, Self.answerBytes))
                    }
                    if !s.matches(hash) {
                        // Another name's slot: the lookup probes on to the next one.
                        let j = (i + 1) & t.slotMask
                        state = .tableSlot(table, j)
                        return UnsafeRawBufferPointer(start: t.slots.baseAddress! + j, count: MemoryLayout<NameTable.Slot>.size)
                    }
                    state = .tableNode(table, Int(s.node))
                    // The name (compared first), then the node at the next step.
                    return UnsafeRawBufferPointer(start: t.arena.baseAddress! + Int(s.nameOffset), count: Int(s.nameLength) - t.storedSuffix)
                }
            case .tableNode(let table, let n):
                state = .done
                return table._withUnsafeGuaranteedRef { t in
                    UnsafeRawBufferPointer(start: t.nodes.baseAddress! + n, count: MemoryLayout<NameTable.Node>.size)
                }
            case .done:
                break
            }
            state = .done
            return nil
        }

        /// The block's header, key and first type entries.
        static let firstBytes = 128
        /// A `NameTable` object's stored properties (its block and key hash).
        static let objectBytes = 48
        /// At most this much of an answer: its counts and first records.
        static let answerBytes = 128
    }
}

extension AnswerTable {
    /// Whether a lower-cased wire name is in one of the served zones (the forwarder's
    /// batch warm-up prefetches the cache only for names that are not).
    @inline(__always)
    public func servesZone(of name: UnsafeRawBufferPointer, length: Int) -> Bool {
        locate(name: name, length: length) != nil
    }
}
