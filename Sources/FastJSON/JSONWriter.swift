/// JSON text from plain values (`[String: Any]`, `[Any]`, String, Bool, integers, finite
/// Doubles, `JSONNull`), keys sorted: what JSONSerialization wrote for the state file
/// and `/debug/state`, without Foundation (issue 18).
package enum JSONWriter {
    /// The text; nil when something in `value` has no JSON form (NaN, another type).
    package static func bytes(_ value: Any, pretty: Bool = false) -> [UInt8]? {
        var out: [UInt8] = []
        guard write(value, to: &out, pretty: pretty, indent: 0) else { return nil }
        return out
    }

    static func write(_ value: Any, to out: inout [UInt8], pretty: Bool, indent: Int) -> Bool {
        func newline(_ level: Int) {
            guard pretty else { return }
            out.append(0x0A)
            out += repeatElement(UInt8(ascii: " "), count: 2 * level)
        }
        switch value {
        case let o as AnyOptional:
            // `x as Any` of an Optional: its value, or null (as JSONSerialization wrote it).
            guard let wrapped = o.wrapped else {
                out += Array("null".utf8)
                return true
            }
            return write(wrapped, to: &out, pretty: pretty, indent: indent)
        case let s as String:
            string(s, to: &out)
        case let b as Bool:
            out += Array((b ? "true" : "false").utf8)
        case let i as Int:
            out += Array(String(i).utf8)
        case let i as any BinaryInteger:
            out += Array("\(i)".utf8)
        case let d as Double:
            guard d.isFinite else { return false }
            if d == d.rounded(), abs(d) < 9.0e15 { out += Array(String(Int(d)).utf8) } else { out += Array("\(d)".utf8) }
        case is JSONNull:
            out += Array("null".utf8)
        case let o as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (n, key) in o.keys.sorted().enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                string(key, to: &out)
                out += pretty ? Array(" : ".utf8) : [UInt8(ascii: ":")]
                guard let v = o[key], write(v, to: &out, pretty: pretty, indent: indent + 1) else { return false }
            }
            if !o.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "}"))
        case let a as [Any]:
            out.append(UInt8(ascii: "["))
            for (n, v) in a.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                guard write(v, to: &out, pretty: pretty, indent: indent + 1) else { return false }
            }
            if !a.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "]"))
        default:
            return false
        }
        return true
    }

    /// A JSON string: quotes, backslashes and control characters escaped.
    package static func string(_ s: String, to out: inout [UInt8]) {
        string(bytes: s.utf8, to: &out)
    }

    /// A JSON string from UTF-8 bytes (the YAML reader's scalars).
    package static func string(bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// JSON's null among plain values (JSONSerialization's NSNull).
package struct JSONNull: Sendable, Equatable {
    package init() {}
}

extension JSONCursor {
    /// The next value as plain values: `[String: Any]`, `[Any]`, String, Bool, Int (a
    /// whole number that fits), Double, `JSONNull`. Nil on invalid JSON.
    package mutating func anyValue(depth: Int = 0) -> Any? {
        guard depth < Self.maxDepth else { return nil }
        skipSpace()
        switch peek {
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "{"):
            var o: [String: Any] = [:]
            guard object({ key, c in
                guard let v = c.anyValue(depth: depth + 1) else { return false }
                o[String(decoding: key, as: UTF8.self)] = v
                return true
            }) else { return nil }
            return o
        case UInt8(ascii: "["):
            var a: [Any] = []
            guard array({ c in
                guard let v = c.anyValue(depth: depth + 1) else { return false }
                a.append(v)
                return true
            }) else { return nil }
            return a
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return bool()
        case UInt8(ascii: "n"): return takeNull() ? JSONNull() : nil
        default:
            let start = at
            let save = self
            if let i = int() { return i }
            self = save
            guard skipValue() else { return nil }
            return Double(String(decoding: UnsafeRawBufferPointer(start: base + start, count: at - start), as: UTF8.self))
        }
    }

    /// A whole buffer as one value (nothing after it).
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> Any? {
        var c = JSONCursor(bytes)
        guard let v = c.anyValue(), c.atEnd() else { return nil }
        return v
    }
}

/// An Optional inside an `Any`, opened without knowing its wrapped type.
private protocol AnyOptional {
    var wrapped: Any? { get }
}

extension Optional: AnyOptional {
    var wrapped: Any? { self.map { $0 as Any } }
}
