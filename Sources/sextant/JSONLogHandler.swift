#if canImport(Glibc)
import FastJSON
import Locking
import Glibc
#endif
import FoundationEssentials
import Logging

/// `--log-format json`: one JSON object per line on stderr (`time`, `level`, `logger`,
/// `message`, then the metadata's keys), for log collectors that parse lines.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "{\"time\":\(Self.quote(Self.timestamp())),\"level\":\(Self.quote(event.level.rawValue))"
        line += ",\"logger\":\(Self.quote(label)),\"message\":\(Self.quote(event.message.description))"
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in all.keys.sorted() where !["time", "level", "logger", "message"].contains(key) {
            if let v = all[key] { line += ",\(Self.quote(key)):\(Self.quote("\(v)"))" }
        }
        line += "}\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tm = tm()
        gmtime_r(&t, &tm)
        return "\((tm.tm_year + 1900).padded(4))-\((tm.tm_mon + 1).padded(2))-\(tm.tm_mday.padded(2))T"
            + "\(tm.tm_hour.padded(2)):\(tm.tm_min.padded(2)):\(tm.tm_sec.padded(2)).\((ts.tv_nsec / 1_000_000).padded(3))Z"
    }

    /// A JSON string literal (RFC 8259 escaping): the one escaper, `JSONWriter.string`.
    static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        JSONWriter.string(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSONLogHandler {
    /// The process's log handler: JSON lines or swift-log's text lines, on stderr.
    static func bootstrap(level name: String, format: String) {
        let level = Logger.Level(rawValue: name.lowercased()) ?? .info
        let json = format == "json"
        LoggingSystem.bootstrap { label in
            if json {
                var h = JSONLogHandler(label: label)
                h.logLevel = level
                return h
            }
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}
