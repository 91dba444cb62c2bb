import FoundationEssentials
import Locking
import KubeClient
import Logging

/// How to reach the broker's API server.
public enum KubeConfigChoice: Sendable {
    case inCluster
    case kubeconfig(String, context: String?)
}

/// The exchange through the broker namespace of a Kubernetes API server, as Submariner's
/// datastore syncer does it: this cluster's Cluster and Endpoint created or replaced
/// there, the others' listed and watched (`clusters.submariner.io`,
/// `endpoints.submariner.io`), and any other Endpoint of this cluster deleted so its own
/// is the only one.
public final class BrokerExchange: EndpointExchange, @unchecked Sendable {
    // @unchecked: the object maps are guarded by `lock`; reflectors are set in start().
    private let config: KubeConfig
    private let writer: ObjectWriter
    private let namespace: String
    private let logger: Logger
    private let lock = Lock()
    private var endpoints: [String: EndpointObject] = [:]
    private var clusters: [String: ClusterObject] = [:]
    private var reflectors: [any ReflectorStopping] = []

    public init(choice: KubeConfigChoice, namespace: String, logger: Logger) throws(GatewayError) {
        do {
            switch choice {
            case .inCluster: config = try KubeConfig.inCluster()
            case .kubeconfig(let path, let context): config = try KubeConfig.load(kubeconfig: path, context: context)
            }
            writer = try ObjectWriter(config: config, userAgent: "sextant-gateway/0.1")
        } catch {
            throw GatewayError(error.description)
        }
        self.namespace = namespace
        self.logger = logger
    }

    var endpointResource: APIResource { APIResource(group: "submariner.io", version: "v1", resource: "endpoints", namespace: namespace) }
    var clusterResource: APIResource { APIResource(group: "submariner.io", version: "v1", resource: "clusters", namespace: namespace) }

    public func start(onChange: @escaping @Sendable () -> Void) throws(GatewayError) {
        var options = ReflectorOptions()
        options.userAgent = "sextant-gateway/0.1"
        let e = Reflector<EndpointObject>(resource: endpointResource, config: config, options: options, logger: logger) { [weak self] event in
            self?.apply(event, to: \.endpoints)
            onChange()
        }
        let c = Reflector<ClusterObject>(resource: clusterResource, config: config, options: options, logger: logger) { [weak self] event in
            self?.apply(event, to: \.clusters)
            onChange()
        }
        do {
            try e.start()
            try c.start()
        } catch {
            throw GatewayError(error.description)
        }
        reflectors = [e, c]
    }

    private func apply<T>(_ event: ReflectorEvent<T>, to map: ReferenceWritableKeyPath<BrokerExchange, [String: T]>) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .replaced(let items):
            var fresh: [String: T] = [:]
            for d in items { if case .success(let o) = d.item { fresh[d.reference.name] = o } }
            self[keyPath: map] = fresh
        case .upserted(let d):
            switch d.item {
            case .success(let o): self[keyPath: map][d.reference.name] = o
            case .failure(let f):
                self[keyPath: map][d.reference.name] = nil
                logger.warning("broker object skipped", metadata: ["name": "\(d.reference.name)", "error": "\(f.reason)"])
            }
        case .deleted(let d):
            self[keyPath: map][d.reference.name] = nil
        case .unavailable(let status):
            logger.warning("the broker does not serve Submariner's objects to us", metadata: ["status": "\(status.summary)"])
        }
    }

    public func publish(cluster: ClusterObject, endpoint: EndpointObject) throws(GatewayError) {
        var c = cluster, e = endpoint
        c.metadata.namespace = namespace
        e.metadata.namespace = namespace
        c.metadata.creationTimestamp = nil
        e.metadata.creationTimestamp = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            try writer.apply(clusterResource, name: c.metadata.name, json: Array(try encoder.encode(c)))
            try writer.apply(endpointResource, name: e.metadata.name, json: Array(try encoder.encode(e)))
        } catch let error as KubeConfigError {
            throw GatewayError("publishing to the broker: \(error.description)")
        } catch {
            throw GatewayError("encoding the local objects: \(error)")
        }
        let stale = current().endpoints.filter { $0.spec.clusterID == endpoint.spec.clusterID && $0.metadata.name != e.metadata.name }
        for old in stale {
            do { try writer.delete(endpointResource, name: old.metadata.name) } catch {
                logger.warning("cannot delete an older Endpoint of this cluster", metadata: ["name": "\(old.metadata.name)", "error": "\(error)"])
            }
        }
    }

    public func withdraw(clusterID: String, endpointName: String) throws(GatewayError) {
        do {
            try writer.delete(endpointResource, name: endpointName)
        } catch {
            throw GatewayError("withdrawing from the broker: \(error.description)")
        }
    }

    public func current() -> (endpoints: [EndpointObject], clusters: [ClusterObject]) {
        lock.lock()
        defer { lock.unlock() }
        return (Array(endpoints.values), Array(clusters.values))
    }

    public func stop() {
        for r in reflectors { r.requestStop() }
        for r in reflectors { r.waitUntilStopped() }
        reflectors = []
    }
}

/// The two reflectors' item types differ; stopping them does not.
protocol ReflectorStopping {
    func requestStop()
    func waitUntilStopped()
}

extension Reflector: ReflectorStopping {}
