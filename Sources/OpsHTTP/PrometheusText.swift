/// Writes the Prometheus text exposition format (version 0.0.4): each family once with
/// its HELP and TYPE, then its samples. Label values are escaped; names are the caller's
/// constants (every label comes from a fixed set, never from a name or an address).
public struct PrometheusText {
    public enum Kind: String { case counter, gauge, histogram }

    public private(set) var text = ""

    public init() {}

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Starts a family.
    public mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample of the current family (`name` may carry a suffix: `_bucket`, `_sum`).
    public mutating func sample(_ name: String, _ value: Double, labels: KeyValuePairs<String, String> = [:]) {
        text += name
        if !labels.isEmpty {
            text += "{"
            var first = true
            for (k, v) in labels {
                if !first { text += "," }
                first = false
                text += "\(k)=\"\(Self.escapeLabel(v))\""
            }
            text += "}"
        }
        text += " \(Self.format(value))\n"
    }

    public mutating func sample(_ name: String, _ value: Int, labels: KeyValuePairs<String, String> = [:]) {
        sample(name, Double(value), labels: labels)
    }

    /// A whole single-sample family.
    public mutating func single(_ name: String, _ kind: Kind, _ help: String, _ value: Double) {
        family(name, kind, help)
        sample(name, value)
    }

    /// A histogram's samples from cumulative bucket counts (`counts[i]` observations at
    /// most `bounds[i]`), the total count and the sum.
    public mutating func histogram(_ name: String, bounds: [Double], cumulative counts: [Int], count: Int, sum: Double) {
        for (b, c) in zip(bounds, counts) { sample(name + "_bucket", c, labels: ["le": Self.format(b)]) }
        sample(name + "_bucket", count, labels: ["le": "+Inf"])
        sample(name + "_sum", sum)
        sample(name + "_count", count)
    }

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// Label values escape backslash, double quote and newline; HELP text the first and
    /// the last only.
    static func escapeLabel(_ s: String) -> String { escape(s, quote: true) }
    static func escapeHelp(_ s: String) -> String { escape(s, quote: false) }

    static func escape(_ s: String, quote: Bool) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"" where quote: out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
