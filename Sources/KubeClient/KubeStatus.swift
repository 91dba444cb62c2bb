import FastJSON
import FoundationEssentials

/// The API's error object (`kind: Status`), as far as a watcher needs it.
public struct KubeStatus: Decodable, Sendable, Equatable {
    public var code: Int?
    public var reason: String?
    public var message: String?

    public init(code: Int?, reason: String?, message: String?) {
        self.code = code
        self.reason = reason
        self.message = message
    }

    /// The Status in an error body when it is JSON; otherwise the first line of the text
    /// (429s from the overload filters are plain text, proxies send HTML).
    static func from(body: [UInt8], status: Int) -> KubeStatus {
        if let s = try? JSONDecoder().decodeBounded(KubeStatus.self, from: Data(body)), s.code != nil || s.message != nil {
            return KubeStatus(code: s.code ?? status, reason: s.reason, message: s.message)
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return KubeStatus(code: status, reason: nil, message: line.isEmpty ? "HTTP \(status)" : line)
    }

    public var summary: String {
        "\(code.map(String.init) ?? "?") \(reason ?? "")\(reason == nil ? "" : ": ")\(message ?? "")"
    }
}
