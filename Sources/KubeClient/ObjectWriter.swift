import FoundationEssentials
import Locking

/// Creates, replaces and deletes single objects (and writes a status subresource): what
/// a gateway needs to publish its Cluster, Endpoint and Gateway objects. One request at
/// a time, on the caller's thread, blocking; the reflectors keep their own handles.
public final class ObjectWriter: @unchecked Sendable {
    // @unchecked: `transfer` is used under `lock` only.
    private let config: KubeConfig
    private let transfer: CurlTransfer
    private let lock = Lock()

    public init(config: KubeConfig, userAgent: String = "sextant/0.1") throws(KubeConfigError) {
        self.config = config
        transfer = try CurlTransfer(config: config, userAgent: userAgent, idleTimeout: 15) { false }
    }

    /// Creates the object, or replaces it when it exists (an unconditional update: the
    /// writer owns it). `json` is the whole object; `name` its metadata.name.
    public func apply(_ resource: APIResource, name: String, json: [UInt8]) throws(KubeConfigError) {
        let created = try send("POST", resource.url(base: config.server, query: []), body: json)
        if created.status == 409 {
            let replaced = try send("PUT", url(resource, name), body: json)
            try check(replaced, "replace \(resource.resource)/\(name)")
            return
        }
        try check(created, "create \(resource.resource)/\(name)")
    }

    /// Replaces the status subresource of an existing object.
    public func updateStatus(_ resource: APIResource, name: String, json: [UInt8]) throws(KubeConfigError) {
        try check(try send("PUT", url(resource, name) + "/status", body: json), "update \(resource.resource)/\(name)/status")
    }

    /// Deletes the object; one already gone is no error.
    public func delete(_ resource: APIResource, name: String) throws(KubeConfigError) {
        let r = try send("DELETE", url(resource, name), body: nil)
        if r.status == 404 { return }
        try check(r, "delete \(resource.resource)/\(name)")
    }

    private func url(_ resource: APIResource, _ name: String) -> String {
        config.server + resource.path + "/" + APIResource.encode(name)
    }

    private func check(_ r: (status: Int, body: [UInt8]), _ what: String) throws(KubeConfigError) {
        guard (200..<300).contains(r.status) else {
            throw KubeConfigError("\(what): HTTP \(r.status): \(KubeStatus.from(body: r.body, status: r.status).summary)")
        }
    }

    private func send(_ method: String, _ url: String, body: [UInt8]?) throws(KubeConfigError) -> (status: Int, body: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        var received: [UInt8] = []
        let outcome = transfer.perform(method, url, token: config.token?.current(), body: body) { bytes in
            if received.count < 1 << 20 { received.append(contentsOf: bytes) }
            return true
        }
        if case .failed(let reason) = outcome.end { throw KubeConfigError("\(method) \(url): \(reason)") }
        if outcome.end == .stalled { throw KubeConfigError("\(method) \(url): no answer within 15 s") }
        return (outcome.status, (200..<300).contains(outcome.status) ? received : outcome.errorBody)
    }
}
