import Testing
@testable import DNSWire

/// Runs the in-place parser over a byte array, the way the server does.
func parse(_ bytes: [UInt8]) throws(WireError) -> (Question, EDNSQuery?, [UInt8]) {
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
    defer { scratch.deallocate() }
    let result: Result<(Question, EDNSQuery?, [UInt8]), WireError> = bytes.withUnsafeBytes { raw in
        do throws(WireError) {
            let q = try QueryParser.question(in: raw, lowercasedInto: scratch)
            let e = try QueryParser.edns(in: raw, after: q)
            return .success((q, e, Array(scratch[0..<q.nameLength])))
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}

@Suite struct QueryParserTests {
    let name = try! DNSName("Service1.NS1.svc.ClusterSet.local.")

    @Test func readsQuestionAndLowercasesName() throws {
        let q = MessageBuilder.query(id: 0xBEEF, name: name, type: .srv, edns: nil)
        // The builder lower-cases; put upper case back into the wire to test the parser.
        var wire = q
        wire[13] = UInt8(ascii: "S")
        let (question, edns, lowered) = try parse(wire)
        #expect(question.type == .srv)
        #expect(question.rclass == 1)
        #expect(question.nameLength == name.wire.count)
        #expect(question.labelCount == 5)
        #expect(question.end == wire.count)
        #expect(lowered == name.wire)
        #expect(question.hash == NameHash.hash(name.wire))
        #expect(edns == nil)
    }

    @Test func readsEDNS() throws {
        let q = MessageBuilder.query(id: 1, name: name, type: .a, edns: (4096, 0, true))
        let (_, edns, _) = try parse(q)
        let e = try #require(edns)
        #expect(e.udpSize == 4096)
        #expect(e.version == 0)
        #expect(e.dnssecOK)
        #expect(e.optionsLength == 0)
    }

    @Test func readsEDNSOptions() throws {
        // A client cookie (option 10, 8 bytes) and an empty NSID request (option 3).
        var b = MessageBuilder()
        b.append(bytes: [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])
        b.append(name, compress: false)
        b.appendUInt16(1); b.appendUInt16(1)
        let options: [UInt8] = [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 3, 0, 0]
        b.appendOPT(udpSize: 1232, extendedRCode: 0, version: 0, dnssecOK: false, options: options)
        let (_, edns, _) = try parse(b.bytes)
        let e = try #require(edns)
        #expect(e.optionsLength == 16)
        #expect(Array(b.bytes[e.optionsOffset..<(e.optionsOffset + e.optionsLength)]) == options)
    }

    @Test func everyTruncationIsAnError() {
        let q = MessageBuilder.query(id: 7, name: name, type: .a, edns: (1232, 0, false))
        for cut in 0..<q.count {
            let prefix = Array(q[0..<cut])
            #expect(throws: WireError.self, "cut at \(cut)") { _ = try parse(prefix) }
        }
        #expect(throws: Never.self) { _ = try parse(q) }
    }

    @Test func questionCountMustBeOne() {
        var q = MessageBuilder.query(id: 7, name: name, type: .a, edns: nil)
        q[5] = 0
        #expect(throws: WireError.questionCount(offset: 4, count: 0)) { _ = try parse(q) }
        q[5] = 2
        #expect(throws: WireError.questionCount(offset: 4, count: 2)) { _ = try parse(q) }
    }

    @Test func compressedQuestionIsRejected() {
        var q: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        q += [0xC0, 0x00, 0, 1, 0, 1]
        #expect(throws: WireError.compressedQuestion(offset: 12)) { _ = try parse(q) }
    }

    @Test func extendedLabelTypesAreRejected() {
        for bad: UInt8 in [0x40, 0x41, 0x80, 0xBF] {
            let q: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, bad] + [UInt8](repeating: 0x61, count: 70) + [0, 0, 1, 0, 1]
            #expect(throws: WireError.badLabelType(offset: 12)) { _ = try parse(q) }
        }
    }

    @Test func namesOver255AreRejected() {
        var q: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for _ in 0..<5 { q += [63] + [UInt8](repeating: 0x61, count: 63) }
        q += [0, 0, 1, 0, 1]
        #expect(throws: WireError.nameTooLong(offset: 12 + 3 * 64)) { _ = try parse(q) }
        // 255 exactly is fine: 3 labels of 63, one of 61, root.
        var ok: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for _ in 0..<3 { ok += [63] + [UInt8](repeating: 0x61, count: 63) }
        ok += [61] + [UInt8](repeating: 0x62, count: 61) + [0, 0, 1, 0, 1]
        #expect(throws: Never.self) {
            let (question, _, _) = try parse(ok)
            #expect(question.nameLength == 255)
        }
    }

    @Test func twoOPTRecordsAreAnError() {
        var b = MessageBuilder()
        b.append(bytes: [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2])
        b.append(name, compress: false)
        b.appendUInt16(1); b.appendUInt16(1)
        b.appendOPT(udpSize: 1232, extendedRCode: 0, version: 0, dnssecOK: false)
        let second = b.bytes.count
        b.appendOPT(udpSize: 1232, extendedRCode: 0, version: 0, dnssecOK: false)
        #expect(throws: WireError.duplicateOPT(offset: second)) { _ = try parse(b.bytes) }
    }

    @Test func optOwnedByNonRootIsAnError() {
        var b = MessageBuilder()
        b.append(bytes: [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])
        b.append(name, compress: false)
        b.appendUInt16(1); b.appendUInt16(1)
        let at = b.bytes.count
        b.append(bytes: [1, 0x61, 0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0])
        #expect(throws: WireError.badOPT(offset: at)) { _ = try parse(b.bytes) }
    }

    @Test func optOptionOverrunningRDATAIsAnError() {
        var b = MessageBuilder()
        b.append(bytes: [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])
        b.append(name, compress: false)
        b.appendUInt16(1); b.appendUInt16(1)
        // Option claims 8 bytes, RDATA holds 4 + 2.
        b.appendOPT(udpSize: 1232, extendedRCode: 0, version: 0, dnssecOK: false, options: [0, 10, 0, 8, 1, 2])
        #expect(throws: WireError.self) { _ = try parse(b.bytes) }
        // A partial option header.
        var c = MessageBuilder()
        c.append(bytes: [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])
        c.append(name, compress: false)
        c.appendUInt16(1); c.appendUInt16(1)
        c.appendOPT(udpSize: 1232, extendedRCode: 0, version: 0, dnssecOK: false, options: [0, 10, 0])
        #expect(throws: WireError.self) { _ = try parse(c.bytes) }
    }

    @Test func recordsBeforeOPTAreSkippedWithPointers() throws {
        // An answer record whose owner points back at the question, then the OPT.
        var b = MessageBuilder()
        b.append(bytes: [0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1])
        b.append(name, compress: false)
        b.appendUInt16(1); b.appendUInt16(1)
        b.append(bytes: [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1])
        b.appendOPT(udpSize: 512, extendedRCode: 0, version: 1, dnssecOK: false)
        let (_, edns, _) = try parse(b.bytes)
        #expect(edns?.version == 1)
        #expect(edns?.udpSize == 512)
    }

    @Test func forwardPointerInSkippedRecordIsAnError() {
        var b = MessageBuilder()
        b.append(bytes: [0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0])
        b.append(name, compress: false)
        b.appendUInt16(1); b.appendUInt16(1)
        let at = b.bytes.count
        b.append(bytes: [0xC0, UInt8(at + 2), 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1])
        #expect(throws: WireError.badPointer(offset: at)) { _ = try parse(b.bytes) }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        let base = MessageBuilder.query(id: 1, name: name, type: .a)
        for _ in 0..<20_000 {
            var m = base
            // Flip a few bytes of a valid query, or make noise of random length.
            if Bool.random(using: &rng) {
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    m[Int.random(in: 0..<m.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            } else {
                m = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            _ = try? parse(m)
            _ = try? Message(decoding: m)
        }
    }
}

@Suite struct LowercaseTests {
    /// The eight-bytes-at-a-time lower-casing agrees with the byte rule for every byte
    /// value in every position.
    @Test func wordRuleMatchesByteRule() {
        for b in 0...255 {
            for position in 0..<8 {
                let w = UInt64(b) << (8 * UInt64(position)) | 0x4100_0000_0000_0000 >> (position == 7 ? 8 : 0)
                let lowered = QueryParser.lowerWord(w)
                for k in 0..<8 {
                    let byte = UInt8(truncatingIfNeeded: w >> (8 * UInt64(k)))
                    #expect(UInt8(truncatingIfNeeded: lowered >> (8 * UInt64(k))) == DNSName.lower(byte), "byte \(b) at \(position)")
                }
            }
        }
    }

    @Test func hashIgnoresBytesPastTheName() throws {
        let name = try DNSName("Svc-1.NS-2.svc.ClusterSet.Local")
        let q = MessageBuilder.query(id: 1, name: name, type: .a)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 263, alignment: 8)
        defer { scratch.deallocate() }
        scratch.initializeMemory(as: UInt8.self, repeating: 0xEE)
        let question = try q.withUnsafeBytes { try QueryParser.question(in: $0, lowercasedInto: scratch) }
        #expect(Array(scratch[0..<question.nameLength]) == name.wire)
        #expect(question.hash == NameHash.hash(name.wire))
    }
}

@Suite struct NameLengthTests {
    /// A name of exactly 255 bytes is read; 256 (with the root byte) is nameTooLong at
    /// the root label, whatever follows.
    @Test func limitIsCheckedWithTheRootByte() throws {
        func query(labels: [Int]) -> [UInt8] {
            var q: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
            for n in labels { q += [UInt8(n)] + Array(repeating: UInt8(ascii: "a"), count: n) }
            return q + [0, 0, 1, 0, 1]
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 263, alignment: 8)
        defer { scratch.deallocate() }
        // 4 labels: 1+63, 1+63, 1+63, 1+61 = 254, + root = 255.
        let ok = query(labels: [63, 63, 63, 61])
        let q = try ok.withUnsafeBytes { try QueryParser.question(in: $0, lowercasedInto: scratch) }
        #expect(q.nameLength == 255)
        let long = query(labels: [63, 63, 63, 62])
        #expect(throws: WireError.nameTooLong(offset: 12 + 64 * 3 + 63)) {
            _ = try long.withUnsafeBytes { try QueryParser.question(in: $0, lowercasedInto: scratch) }
        }
    }
}
