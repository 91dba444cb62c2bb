import AnswerTable
import DNSWire
import FastJSON
import Glibc

extension KubeObject {
    /// What the fast decoder made of an object's JSON.
    public enum FastDecoded: Sendable {
        /// Read, equal to what `JSONDecoder` makes of the same bytes.
        case object(KubeObject)
        /// Valid JSON whose `apiVersion` and `kind` name no kind Sextant reads.
        case otherKind
        /// Not sure: decode it with `JSONDecoder` (which says what is wrong, if anything).
        case undecided
    }

    /// Reads one object from its JSON without `JSONDecoder` (issue 18: start-up and the
    /// first LIST were three quarters `JSONDecoder`). ServiceImports and EndpointSlices
    /// are read; anything unusual (a Gateway, a field of an unexpected type, a value the
    /// rules reject, an escape in a key, a duplicate key, invalid JSON) is `.undecided`,
    /// so the slow path keeps its rules and messages. `FastJSONTests` and the fuzz target
    /// `FuzzObjects` hold the two paths equal.
    ///
    /// - Parameter kind: the kind when the caller knows it (a LIST of one resource, whose
    ///   items may lack `kind`); nil to take it from `apiVersion` and `kind`.
    public static func fastDecode(_ json: UnsafeRawBufferPointer, kind known: ObjectKind? = nil) -> FastDecoded {
        var memo = DecodeMemo()
        return fastDecode(json, kind: known, memo: &memo)
    }

    /// The same, reusing what earlier objects decoded through `memo` gave (a thread
    /// decoding many objects keeps one).
    public static func fastDecode(_ json: UnsafeRawBufferPointer, kind known: ObjectKind? = nil, memo: inout DecodeMemo) -> FastDecoded {
        var c = JSONCursor(json)
        let decoded = fastDecode(&c, kind: known, memo: &memo)
        return c.atEnd() ? decoded : .undecided
    }

    /// One object at the cursor, which is left after it (anything may follow): for a
    /// reader that finds a List's items by decoding them (`ManifestFile.streamJSONList`).
    /// An object that does not end inside the input is undecided.
    package static func fastDecode(_ c: inout JSONCursor, kind known: ObjectKind? = nil, memo: inout DecodeMemo) -> FastDecoded {
        // `apiVersion` as its bytes when it has no escape (read in place: a heap string
        // per object otherwise), else as a string.
        var apiVersion: String?, apiVersionBytes: UnsafeRawBufferPointer?
        // `kind` as the kind it names (nil: none Sextant reads), read in place unless it
        // has an escape.
        var named: ObjectKind?
        var metadata = -1, spec = -1, addressType = -1, endpoints = -1, ports = -1
        var seen: UInt8 = 0
        // `metadata` is read when it comes (its reading does not depend on the kind). The
        // kind's own fields are read when they come too once the kind is known (`kind`
        // and `apiVersion` first, as the API server writes them); before that, where each
        // starts is noted (checked, skipped) and they are read after the pass. Skipped and
        // read again, they were a tenth of reading a folder.
        var meta: ObjectMeta?
        var early = known
        var readImport: ServiceImport?, readIPv6: Bool?, readEndpoints: OneOrMany<EndpointSlice.Endpoint>?, readPorts: [ServicePort]?
        let ok = c.object { key, c in
            var bit: UInt8 = 0
            // The kind, once `kind` and `apiVersion` have both come (nil until then).
            if early == nil, seen & 3 == 3 { early = Self.kind(apiVersion: apiVersionBytes, apiVersion, named: named) }
            c.skipSpace()
            let start = c.at
            switch key.count {
            case 4 where key.equals("kind"):
                bit = 1
                if let raw = c.rawString() {
                    named = ObjectKind(named: raw)
                } else {
                    guard let k = c.stringOrNull() else { return false }
                    named = k.flatMap(ObjectKind.init(rawValue:))
                }
            case 10 where key.equals("apiVersion"):
                bit = 2
                if let raw = c.rawString() {
                    apiVersionBytes = raw
                } else {
                    guard let v = c.stringOrNull() else { return false }
                    apiVersion = v
                    apiVersionBytes = nil
                }
            case 8 where key.equals("metadata"):
                guard seen & 4 == 0, let m = ObjectMeta.fastDecode(&c, memo: &memo) else { return false }
                seen |= 4
                meta = m
                metadata = start
                return true
            case 4 where key.equals("spec"):
                bit = 8
                spec = start
                if let meta, seen & 8 == 0, early == .serviceImport {
                    guard let si = ServiceImport.fastDecode(&c, metadata: meta, memo: &memo) else { return false }
                    readImport = si
                }
            case 11 where key.equals("addressType"):
                bit = 16
                addressType = start
                if seen & 16 == 0, early == .endpointSlice {
                    guard let v6 = Self.isIPv6(addressType: &c) else { return false }
                    readIPv6 = v6
                }
            case 9 where key.equals("endpoints"):
                bit = 32
                endpoints = start
                if seen & 32 == 0, early == .endpointSlice {
                    guard let list = Self.endpoints(&c) else { return false }
                    readEndpoints = list
                }
            case 5 where key.equals("ports"):
                bit = 64
                ports = start
                if seen & 64 == 0, early == .endpointSlice {
                    guard let list = ServicePort.fastDecodeSharedList(&c, memo: &memo) else { return false }
                    readPorts = list
                }
            default: break
            }
            if bit != 0 {
                guard seen & bit == 0 else { return false }
                seen |= bit
            }
            return c.at > start || c.skipValue()
        }
        guard ok else { return .undecided }
        // The kind given, or found during the pass, or from what the pass found. The
        // fields read during the pass were read for this kind: `early` came from the same
        // `kind` and `apiVersion` (a second of either is a duplicate, given up on).
        guard let kind = early ?? Self.kind(apiVersion: apiVersionBytes, apiVersion, named: named) else { return .otherKind }
        func at(_ offset: Int) -> JSONCursor {
            var sub = c
            sub.at = offset
            return sub
        }
        guard metadata >= 0, let meta else { return .undecided }
        switch kind {
        case .serviceImport:
            if let readImport { return .object(.serviceImport(readImport)) }
            guard spec >= 0 else {
                return .object(.serviceImport(ServiceImport(metadata: meta, type: .clusterSetIP)))
            }
            var s = at(spec)
            guard let si = ServiceImport.fastDecode(&s, metadata: meta, memo: &memo) else { return .undecided }
            return .object(.serviceImport(si))
        case .endpointSlice:
            guard addressType >= 0 else { return .undecided }
            var t = at(addressType)
            guard let isIPv6 = readIPv6 ?? Self.isIPv6(addressType: &t) else { return .undecided }
            var list = OneOrMany<EndpointSlice.Endpoint>()
            if let readEndpoints {
                list = readEndpoints
            } else if endpoints >= 0 {
                var e = at(endpoints)
                guard let read = Self.endpoints(&e) else { return .undecided }
                list = read
            }
            for e in list where e.addresses.contains(where: { $0.isIPv6 != isIPv6 }) { return .undecided }
            var portList: [ServicePort] = []
            if let readPorts {
                portList = readPorts
            } else if ports >= 0 {
                var p = at(ports)
                guard let read = ServicePort.fastDecodeSharedList(&p, memo: &memo) else { return .undecided }
                portList = read
            }
            return .object(.endpointSlice(EndpointSlice(metadata: meta, isIPv6: isIPv6, endpoints: list, ports: portList)))
        case .gateway:
            return .undecided
        }
    }

    /// The kind an object's `apiVersion` (its bytes when read in place, else the string;
    /// none: empty) and `kind` name.
    private static func kind(apiVersion bytes: UnsafeRawBufferPointer?, _ string: String?, named: ObjectKind?) -> ObjectKind? {
        if let bytes { return kind(apiVersion: bytes, named: named) }
        return kind(apiVersion: string ?? "", named: named)
    }

    /// A slice's `addressType`: false for IPv4, true for IPv6, nil for anything else.
    private static func isIPv6(addressType c: inout JSONCursor) -> Bool? {
        switch c.string() {
        case "IPv4": return false
        case "IPv6": return true
        default: return nil
        }
    }

    /// A slice's `endpoints`: null is none.
    private static func endpoints(_ c: inout JSONCursor) -> OneOrMany<EndpointSlice.Endpoint>? {
        if c.takeNull() { return OneOrMany() }
        var list = OneOrMany<EndpointSlice.Endpoint>()
        guard c.array({ c in
            guard let one = EndpointSlice.Endpoint.fastDecode(&c) else { return false }
            list.append(one)
            return true
        }) else { return nil }
        return list
    }
}

extension ObjectMeta {
    /// `init(from:)`'s rules: a name is required, the rest may be absent or null; label
    /// and annotation values other than strings are left to the slow path.
    static func fastDecode(_ c: inout JSONCursor, memo: inout KubeObject.DecodeMemo) -> ObjectMeta? {
        // Room for the labels' and the annotations' pieces, on the stack: two blocks of
        // 768 bytes (one of 1,536 went to the heap, an allocation per object).
        withUnsafeTemporaryAllocation(of: StringPairs.ASCIIPieces.Entry.self, capacity: StringPairs.ASCIIPieces.capacity) { l in
            withUnsafeTemporaryAllocation(of: StringPairs.ASCIIPieces.Entry.self, capacity: StringPairs.ASCIIPieces.capacity) { a in
                fastDecode(&c, labelSlots: l, annotationSlots: a, memo: &memo)
            }
        }
    }

    private static func fastDecode(_ c: inout JSONCursor, labelSlots: UnsafeMutableBufferPointer<StringPairs.ASCIIPieces.Entry>,
                                   annotationSlots: UnsafeMutableBufferPointer<StringPairs.ASCIIPieces.Entry>,
                                   memo: inout KubeObject.DecodeMemo) -> ObjectMeta? {
        var name: Text?, namespace: Text?, resourceVersion: String?
        // Labels and annotations: read in place (`pieces`) in the plain case, else packed.
        var labels: StringPairs? = StringPairs(), annotations: StringPairs? = StringPairs()
        var labelPieces = StringPairs.ASCIIPieces(slots: labelSlots)
        var annotationPieces = StringPairs.ASCIIPieces(slots: annotationSlots)
        var seen: UInt8 = 0
        /// False when the object is not read; `packed` nil when `pieces` hold the pairs.
        func pairs(_ c: inout JSONCursor, _ pieces: inout StringPairs.ASCIIPieces, _ packed: inout StringPairs?,
                   _ prediction: inout StringPairs.ASCIIPieces.Prediction) -> Bool {
            if c.takeNull() { return true }
            let save = c.at
            if pieces.read(&c, prediction: &prediction) {
                packed = nil
                return true
            }
            c.at = save
            var found: [(key: String, value: String)] = []
            guard c.object({ key, c in
                guard let v = c.string() else { return false }
                found.append((key: String(decoding: key, as: UTF8.self), value: v))
                return true
            }), let general = StringPairs(uniquePairs: found) else { return false }
            packed = general
            return true
        }
        guard c.object({ key, c in
            var bit: UInt8 = 0
            switch key.count {
            case 4 where key.equals("name"):
                bit = 1
                guard let v = Text.read(&c, nullable: false) else { return false }
                name = v
            case 9 where key.equals("namespace"):
                bit = 2
                guard let v = Text.read(&c, nullable: true) else { return false }
                namespace = v
            case 15 where key.equals("resourceVersion"):
                bit = 4
                guard let v = c.stringOrNull() else { return false }
                resourceVersion = v
            case 6 where key.equals("labels"):
                bit = 8
                guard pairs(&c, &labelPieces, &labels, &memo.labels) else { return false }
            case 11 where key.equals("annotations"):
                bit = 16
                guard pairs(&c, &annotationPieces, &annotations, &memo.annotations) else { return false }
            default:
                return c.skipValue()
            }
            guard seen & bit == 0 else { return false }
            seen |= bit
            return true
        }), let name else { return nil }
        return name.withBytes { n in
            (namespace ?? .string("")).withBytes { ns in
                ObjectMeta(name: n, namespace: ns, resourceVersion: resourceVersion, labels: labels, labelPieces: labelPieces,
                           annotations: annotations, annotationPieces: annotationPieces)
            }
        }
    }

    /// A name or namespace: its bytes in the input when it has no escape, else the string.
    private enum Text {
        case bytes(UnsafeRawBufferPointer)
        case string(String)

        /// The string at the cursor (`nullable`: null reads as absent, `.some(nil)`); nil
        /// for anything else.
        static func read(_ c: inout JSONCursor, nullable: Bool) -> Text?? {
            let save = c.at
            if let raw = c.rawString() { return .some(.bytes(raw)) }
            c.at = save
            if nullable { return c.stringOrNull().map { $0.map(Text.string) } }
            return c.string().map { .some(.string($0)) }
        }

        func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            switch self {
            case .bytes(let raw): return body(raw)
            case .string(var s): return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
            }
        }
    }
}

extension ServiceImport {
    /// `spec` by `init(from:)`'s rules.
    static func fastDecode(_ c: inout JSONCursor, metadata: ObjectMeta, memo: inout KubeObject.DecodeMemo) -> ServiceImport? {
        var type: ServiceType = .clusterSetIP
        var ips = IPAddresses()
        var ports: [ServicePort] = []
        var seen: UInt8 = 0
        guard c.object({ key, c in
            var bit: UInt8 = 0
            switch key.count {
            case 4 where key.equals("type"):
                bit = 1
                if !c.takeNull() {
                    guard let t = c.string() else { return false }
                    if !t.isEmpty {
                        guard let known = ServiceType(rawValue: t) else { return false }
                        type = known
                    }
                }
            case 3 where key.equals("ips"):
                bit = 2
                guard let read = IPAddress.fastDecodeList(&c) else { return false }
                ips = read
            case 5 where key.equals("ports"):
                bit = 4
                guard let p = ServicePort.fastDecodeSharedList(&c, memo: &memo) else { return false }
                ports = p
            default:
                return c.skipValue()
            }
            guard seen & bit == 0 else { return false }
            seen |= bit
            return true
        }) else { return nil }
        return ServiceImport(metadata: metadata, type: type, ips: ips, ports: ports)
    }
}

extension EndpointSlice.Endpoint {
    /// One endpoint by `init(from:)`'s rules.
    static func fastDecode(_ c: inout JSONCursor) -> EndpointSlice.Endpoint? {
        var addresses = IPAddresses()
        var ready: Bool?
        var hostname: String?, podName: String?
        var seen: UInt8 = 0
        guard c.object({ key, c in
            var bit: UInt8 = 0
            switch key.count {
            case 9 where key.equals("addresses"):
                bit = 1
                guard let read = IPAddress.fastDecodeList(&c) else { return false }
                addresses = read
            case 10 where key.equals("conditions"):
                bit = 2
                if !c.takeNull() {
                    var readySeen = false
                    guard c.object({ key, c in
                        guard key.equals("ready") else { return c.skipValue() }
                        guard !readySeen else { return false }
                        readySeen = true
                        if c.takeNull() { return true }
                        guard let r = c.bool() else { return false }
                        ready = r
                        return true
                    }) else { return false }
                }
            case 8 where key.equals("hostname"):
                bit = 4
                if !c.takeNull() {
                    guard let h = c.string() else { return false }
                    hostname = h.isEmpty ? nil : h.lowercased()
                }
            case 9 where key.equals("targetRef"):
                bit = 8
                if !c.takeNull() {
                    var kind: String?, name: String?
                    var refSeen: UInt8 = 0
                    guard c.object({ key, c in
                        let b: UInt8
                        if key.equals("kind") { b = 1 } else if key.equals("name") { b = 2 } else { return c.skipValue() }
                        guard refSeen & b == 0 else { return false }
                        refSeen |= b
                        if c.takeNull() { return true }
                        guard let s = c.string() else { return false }
                        if b == 1 { kind = s } else { name = s }
                        return true
                    }) else { return false }
                    if (kind ?? "Pod") == "Pod" { podName = name.flatMap { $0.isEmpty ? nil : $0.lowercased() } }
                }
            default:
                return c.skipValue()
            }
            guard seen & bit == 0 else { return false }
            seen |= bit
            return true
        }) else { return nil }
        return EndpointSlice.Endpoint(addresses: addresses, ready: ready, hostname: hostname, podName: podName)
    }
}

extension ServicePort {
    /// `fastDecodeList`'s list, shared (`ServicePort.shared`); the bytes of the list read
    /// last (`memo`) give their list again without reading it.
    static func fastDecodeSharedList(_ c: inout JSONCursor, memo: inout KubeObject.DecodeMemo) -> [ServicePort]? {
        if let known = memo.reusePorts(&c) { return known }
        c.skipSpace()
        let start = c.at
        guard let list = fastDecodeList(&c) else { return nil }
        let shared = ServicePort.shared(list)
        memo.record(portsJSON: c.bytes(since: start), ports: shared)
        return shared
    }

    /// A `ports` list by `init(from:)`'s rules (null or absent: none).
    static func fastDecodeList(_ c: inout JSONCursor) -> [ServicePort]? {
        if c.takeNull() { return [] }
        var out: [ServicePort] = []
        guard c.array({ c in
            var name: String?, proto: String?, port: Int?
            var seen: UInt8 = 0
            guard c.object({ key, c in
                let b: UInt8
                if key.equals("name") { b = 1 } else if key.equals("protocol") { b = 2 } else if key.equals("port") { b = 4 } else { return c.skipValue() }
                guard seen & b == 0 else { return false }
                seen |= b
                if b == 4 {
                    guard let p = c.int() else { return false }
                    port = p
                    return true
                }
                if c.takeNull() { return true }
                guard let s = c.string() else { return false }
                if b == 1 { name = s } else { proto = s }
                return true
            }), let port, (1...65535).contains(port) else { return false }
            out.append(ServicePort(name: name ?? "", proto: proto ?? "TCP", port: UInt16(port)))
            return true
        }) else { return nil }
        return out
    }
}

extension IPAddress {
    /// An address list (`ips`, `addresses`) by the decoders' rules: null or absent is
    /// none; a text that is no address is left to the slow path (its message).
    static func fastDecodeList(_ c: inout JSONCursor) -> IPAddresses? {
        if c.takeNull() { return IPAddresses() }
        var out = IPAddresses()
        // An IPv4 address is read from its bytes; anything else is made a string first
        // (an escape, an IPv6 address), as `IPAddress(_:)` reads it.
        guard c.array({ c in
            let save = c.at
            if let raw = c.rawString(), let word = IPv4Text.parseWord(raw) {
                out.append(IPAddress(ipv4: word))
                return true
            }
            c.at = save
            guard let text = c.string(), let ip = IPAddress(text) else { return false }
            out.append(ip)
            return true
        }) else { return nil }
        return out
    }
}
