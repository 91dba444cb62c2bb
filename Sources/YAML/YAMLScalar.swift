/// What a plain YAML scalar is, by Yams' default resolver (YAML 1.1 with its
/// booleans, integers in four bases and sexagesimal, floats), timestamps excepted. The
/// rules are tried in Yams' order: bool, int, float, then null; anything else is a string.
enum YAMLScalar: Equatable {
    case null
    case bool(Bool)
    /// The integer as JSON text (decimal).
    case int([UInt8])
    /// The float as JSON text; nil for `.inf` and `.nan`, which JSON cannot carry.
    case float([UInt8]?)
    case string

    static func resolve(_ raw: [UInt8]) -> YAMLScalar {
        let text = String(decoding: raw, as: UTF8.self)
        switch text {
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return .bool(true)
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return .bool(false)
        default: break
        }
        if isInt(raw) {
            // Text the resolver calls an integer but no Int holds (too large): a float,
            // as JSON would read it.
            if let v = intValue(text) { return .int(Array(String(v).utf8)) }
            return floatValue(text).map { .float($0) } ?? .string
        }
        if isFloat(raw) { return floatValue(text).map { .float($0) } ?? .string }
        switch text {
        case "~", "null", "Null", "NULL", "": return .null
        default: return .string
        }
    }

    // MARK: - The resolver's patterns, by hand

    @inline(__always) static func digit(_ b: UInt8, _ range: ClosedRange<UInt8>) -> Bool { range.contains(b) }

    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
    static func isInt(_ raw: [UInt8]) -> Bool {
        var s = raw[...]
        if let f = s.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") { s = s.dropFirst() }
        guard let first = s.first else { return false }
        func all(_ t: ArraySlice<UInt8>, _ ok: (UInt8) -> Bool) -> Bool { !t.isEmpty && t.allSatisfy(ok) }
        let underscore = UInt8(ascii: "_")
        if first == UInt8(ascii: "0") {
            let rest = s.dropFirst()
            if rest.isEmpty { return true }
            if rest.first == UInt8(ascii: "b") { return all(rest.dropFirst()) { $0 == underscore || digit($0, 0x30...0x31) } }
            if rest.first == UInt8(ascii: "x") {
                return all(rest.dropFirst()) { $0 == underscore || digit($0, 0x30...0x39) || digit($0, 0x41...0x46) || digit($0, 0x61...0x66) }
            }
            let octal = rest.first == UInt8(ascii: "o") ? rest.dropFirst() : rest
            return all(octal) { $0 == underscore || digit($0, 0x30...0x37) }
        }
        guard digit(first, 0x31...0x39) else { return false }
        // Decimal, or sexagesimal: groups after ':' of one or two digits, the first 0-5.
        var i = s.startIndex + 1
        while i < s.endIndex, s[i] == underscore || digit(s[i], 0x30...0x39) { i += 1 }
        if i == s.endIndex { return true }
        return sexagesimalTail(s[i...])
    }

    /// `(:[0-5]?[0-9])+` exactly.
    static func sexagesimalTail(_ t: ArraySlice<UInt8>) -> Bool {
        var i = t.startIndex
        guard i < t.endIndex else { return false }
        while i < t.endIndex {
            guard t[i] == UInt8(ascii: ":") else { return false }
            i += 1
            let start = i
            while i < t.endIndex, digit(t[i], 0x30...0x39) { i += 1 }
            let n = i - start
            guard n == 1 || (n == 2 && digit(t[start], 0x30...0x35)) else { return false }
        }
        return true
    }

    /// `[-+]?([0-9][0-9_]*)(\.[0-9_]*)?([eE][-+]?[0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)? |
    /// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
    static func isFloat(_ raw: [UInt8]) -> Bool {
        let text = String(decoding: raw, as: UTF8.self)
        if [".nan", ".NaN", ".NAN"].contains(text) { return true }
        var s = raw[...]
        var signed = false
        if let f = s.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") { s = s.dropFirst(); signed = true }
        if [".inf", ".Inf", ".INF"].contains(String(decoding: s, as: UTF8.self)) { return true }
        let underscore = UInt8(ascii: "_")
        func digitsOrUnderscores(_ i: inout Int) { while i < s.endIndex, s[i] == underscore || digit(s[i], 0x30...0x39) { i += 1 } }
        func exponent(_ i: inout Int, signRequired: Bool) -> Bool {
            guard i < s.endIndex, s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") else { return true }
            i += 1
            if i < s.endIndex, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { i += 1 } else if signRequired { return false }
            let start = i
            while i < s.endIndex, digit(s[i], 0x30...0x39) { i += 1 }
            return i > start
        }
        guard let first = s.first else { return false }
        var i = s.startIndex
        if first == UInt8(ascii: ".") {
            // `\.[0-9_]+([eE][-+][0-9]+)?`: no sign allowed before it.
            guard !signed else { return false }
            i += 1
            let start = i
            digitsOrUnderscores(&i)
            guard i > start, exponent(&i, signRequired: true) else { return false }
            return i == s.endIndex
        }
        guard digit(first, 0x30...0x39) else { return false }
        i += 1
        digitsOrUnderscores(&i)
        if i < s.endIndex, s[i] == UInt8(ascii: ":") {
            // Sexagesimal: groups, then a '.' and a fraction.
            guard let dot = s[i...].firstIndex(of: UInt8(ascii: ".")), sexagesimalTail(s[i..<dot]) else { return false }
            var j = dot + 1
            digitsOrUnderscores(&j)
            return j == s.endIndex
        }
        if i < s.endIndex, s[i] == UInt8(ascii: ".") {
            i += 1
            digitsOrUnderscores(&i)
        }
        guard exponent(&i, signRequired: false) else { return false }
        return i == s.endIndex
    }

    /// Yams' Int construction: `_` dropped, `0x`, `0b`, `0o` and a leading `0` as radix
    /// prefixes, `:` as base 60.
    static func intValue(_ text: String) -> Int? {
        let t = String(text.filter { $0 != "_" })
        if t == "0" { return 0 }
        let negative = t.hasPrefix("-")
        let body = (negative || t.hasPrefix("+")) ? Substring(t.dropFirst()) : Substring(t)
        let sign = negative ? "-" : ""
        for (prefix, radix) in [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)] where body.hasPrefix(prefix) {
            return Int(sign + body.dropFirst(prefix.count), radix: radix)
        }
        if body.contains(":") { return sexagesimal(body).flatMap { v in negative ? (v == Int.min ? nil : -v) : v } }
        return Int(t)
    }

    static func sexagesimal<S: StringProtocol>(_ body: S) -> Int? {
        var v = 0
        for part in body.split(separator: ":", omittingEmptySubsequences: false) {
            guard let p = Int(part) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 60)
            let (a, o2) = m.addingReportingOverflow(p)
            guard !o1, !o2 else { return nil }
            v = a
        }
        return v
    }

    /// Yams' Double construction, as JSON text; nil inside for infinities and NaN.
    static func floatValue(_ text: String) -> [UInt8]?? {
        let lower = text.lowercased()
        if [".inf", "+.inf", "-.inf", ".nan"].contains(lower) { return .some(nil) }
        let t = String(text.filter { $0 != "_" })
        let value: Double?
        if t.contains(":") {
            let negative = t.hasPrefix("-")
            let body = (negative || t.hasPrefix("+")) ? Substring(t.dropFirst()) : Substring(t)
            var v = 0.0
            for part in body.split(separator: ":", omittingEmptySubsequences: false) {
                guard let p = Double(part) else { return nil }
                v = v * 60 + p
            }
            value = negative ? -v : v
        } else {
            value = Double(t)
        }
        guard let d = value, d.isFinite else { return value == nil ? nil : .some(nil) }
        // Whole numbers as integers, as JSONSerialization wrote them.
        if d == d.rounded(), abs(d) < 9.0e15 { return .some(Array(String(Int(d)).utf8)) }
        return .some(Array("\(d)".utf8))
    }
}
