/// A duration in nanoseconds, written and read as Go's `time.Duration.String()` does
/// ("1.2ms", "855.257µs", "1m30s"), because Submariner's Gateway status carries its
/// latencies that way and Lighthouse-era tools parse them back.
public struct GoDuration: Codable, Equatable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static func < (a: GoDuration, b: GoDuration) -> Bool { a.nanoseconds < b.nanoseconds }

    public var description: String {
        var d = nanoseconds
        let negative = d < 0
        if negative { d = d == Int64.min ? Int64.max : -d }
        var s: String
        if d == 0 {
            return "0s"
        } else if d < 1_000 {
            s = "\(d)ns"
        } else if d < 1_000_000 {
            s = Self.fraction(d, 1_000) + "µs"
        } else if d < 1_000_000_000 {
            s = Self.fraction(d, 1_000_000) + "ms"
        } else {
            let h = d / 3_600_000_000_000
            let m = (d / 60_000_000_000) % 60
            let secs = Self.fraction(d % 60_000_000_000, 1_000_000_000) + "s"
            s = h > 0 ? "\(h)h\(m)m\(secs)" : m > 0 ? "\(m)m\(secs)" : secs
        }
        return negative ? "-" + s : s
    }

    /// `value / unit` with the remainder's digits, trailing zeros dropped.
    private static func fraction(_ value: Int64, _ unit: Int64) -> String {
        let whole = value / unit
        var rest = value % unit
        guard rest != 0 else { return "\(whole)" }
        var digits = 0
        var u = unit
        while u > 1 { u /= 10; digits += 1 }
        while rest % 10 == 0 { rest /= 10; digits -= 1 }
        let text = String(rest)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }

    /// Parses what `time.ParseDuration` accepts: a sequence of decimal numbers with units
    /// ns, us, µs, ms, s, m, h, optionally signed. Nil for anything else.
    public init?(parsing text: String) {
        var chars = Array(text.unicodeScalars)
        var negative = false
        if let f = chars.first, f == "-" || f == "+" { negative = f == "-"; chars.removeFirst() }
        if chars.count == 1 && chars[0] == "0" { self.nanoseconds = 0; return }
        guard !chars.isEmpty else { return nil }
        var total: Double = 0
        var i = 0
        while i < chars.count {
            var number = ""
            while i < chars.count, chars[i] == "." || ("0"..."9").contains(chars[i]) { number.unicodeScalars.append(chars[i]); i += 1 }
            var unit = ""
            while i < chars.count, !(chars[i] == "." || ("0"..."9").contains(chars[i])) { unit.unicodeScalars.append(chars[i]); i += 1 }
            guard let value = Double(number) else { return nil }
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1_000
            case "ms": scale = 1_000_000
            case "s": scale = 1_000_000_000
            case "m": scale = 60_000_000_000
            case "h": scale = 3_600_000_000_000
            default: return nil
            }
            total += value * scale
        }
        guard total < 9.2e18 else { return nil }
        self.nanoseconds = Int64(total.rounded()) * (negative ? -1 : 1)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let d = GoDuration(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a Go duration: \(text)"))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
