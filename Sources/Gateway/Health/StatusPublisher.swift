import FoundationEssentials
import Locking
import KubeClient
import Logging

/// Where the Gateway object with this gateway's status goes: a file (atomically: a hidden
/// temporary file renamed over it, so a DNS server watching a zones folder never reads
/// half of it) or the local cluster's API server (`gateways.submariner.io`, the object
/// replaced with its `update-timestamp` annotation, then its status subresource), the
/// place Lighthouse and `sextant serve` read it from.
public enum StatusTarget: Sendable {
    case file(String)
    case api(KubeConfigChoice, namespace: String)
}

public final class StatusPublisher {
    private let target: StatusTarget
    private let writer: ObjectWriter?
    private let logger: Logger

    public init(target: StatusTarget, logger: Logger) throws(GatewayError) {
        self.target = target
        self.logger = logger
        switch target {
        case .file(let path):
            let dir = PathName.parent(of: path)
            guard PathName.isDirectory(dir.isEmpty ? "." : dir) == true else {
                throw GatewayError("--status-file \(path): its folder does not exist")
            }
            guard [".json", ".yaml", ".yml"].contains(where: { path.hasSuffix($0) }) else {
                throw GatewayError("--status-file \(path): name it *.json (a zones folder reads only .json, .yaml and .yml manifests)")
            }
            writer = nil
        case .api(let choice, _):
            do {
                let config: KubeConfig
                switch choice {
                case .inCluster: config = try KubeConfig.inCluster()
                case .kubeconfig(let p, let c): config = try KubeConfig.load(kubeconfig: p, context: c)
                }
                writer = try ObjectWriter(config: config, userAgent: "sextant-gateway/0.1")
            } catch {
                throw GatewayError("the status API server: \(error.description)")
            }
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public func publish(_ object: GatewayObject) throws(GatewayError) {
        var g = object
        switch target {
        case .file(let path):
            let data: Data
            do { data = try Self.encoder.encode(g) } catch { throw GatewayError("cannot encode the Gateway status: \(error)") }
            try AtomicFile.write(data, to: path)
        case .api(_, let namespace):
            g.metadata.namespace = namespace
            let resource = APIResource(group: "submariner.io", version: "v1", resource: "gateways", namespace: namespace)
            do {
                let json = Array(try Self.encoder.encode(g))
                try writer?.apply(resource, name: g.metadata.name, json: json)
                try writer?.updateStatus(resource, name: g.metadata.name, json: json)
            } catch let e as KubeConfigError {
                throw GatewayError("publishing the Gateway status: \(e.description)")
            } catch {
                throw GatewayError("cannot encode the Gateway status: \(error)")
            }
        }
    }

    /// A stopped gateway's last word: passive, no connections (its tunnels are gone).
    public func publishStopped(_ object: GatewayObject) {
        var g = object
        g.status.haStatus = .passive
        g.status.connections = []
        g.status.statusFailure = "the gateway stopped"
        do { try publish(g) } catch { logger.warning("cannot publish the stopped status", metadata: ["error": "\(error)"]) }
    }
}
