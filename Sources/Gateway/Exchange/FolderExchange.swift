#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import FastJSON
import FoundationEssentials
import Locking
import Logging

/// The exchange as a folder the gateways share (a hostPath, an NFS export, or, in tests,
/// one folder for namespaces on one machine): one file per cluster, `<cluster>.json`,
/// a Kubernetes `List` holding its Cluster and Endpoint, written atomically (a temporary
/// file renamed over it), so a reader never sees half a file. inotify wakes the readers.
public final class FolderExchange: EndpointExchange, @unchecked Sendable {
    // @unchecked: `source` and `problems` are touched only on `queue`; `directory` is a let.
    public let directory: String
    private let logger: Logger
    private let queue = DispatchQueue(label: "sextant.gateway.exchange")
    private var source: DispatchSourceRead?
    private var problems: [String: String] = [:]

    public init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    public func start(onChange: @escaping @Sendable () -> Void) throws(GatewayError) {
        let isDir = PathName.isDirectory(directory)
        if isDir == nil {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw GatewayError("cannot create the exchange folder \(directory): \(error)")
            }
        } else if isDir == false {
            throw GatewayError("--exchange \(directory) is not a folder")
        }
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw GatewayError("inotify: \(String(cString: strerror(errno)))", errno: errno) }
        guard inotify_add_watch(fd, directory, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM)) >= 0 else {
            close(fd)
            throw GatewayError("cannot watch \(directory): \(String(cString: strerror(errno)))", errno: errno)
        }
        let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        s.setEventHandler {
            var buf = [UInt8](repeating: 0, count: 8192)
            while buf.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
            onChange()
        }
        s.setCancelHandler { close(fd) }
        source = s
        s.resume()
    }

    public func stop() {
        queue.sync {
            source?.cancel()
            source = nil
        }
    }

    private func path(_ clusterID: String) -> String { directory + "/" + ObjectNaming.validName(clusterID) + ".json" }

    public func publish(cluster: ClusterObject, endpoint: EndpointObject) throws(GatewayError) {
        struct List: Encodable {
            var apiVersion = "v1"
            var kind = "List"
            var items: [Item]
        }
        enum Item: Encodable {
            case cluster(ClusterObject), endpoint(EndpointObject)
            func encode(to encoder: any Encoder) throws {
                switch self {
                case .cluster(let c): try c.encode(to: encoder)
                case .endpoint(let e): try e.encode(to: encoder)
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        let data: Data
        do { data = try encoder.encode(List(items: [.cluster(cluster), .endpoint(endpoint)])) } catch {
            throw GatewayError("cannot encode the local objects: \(error)")
        }
        try AtomicFile.write(data, to: path(cluster.spec.clusterID))
    }

    public func withdraw(clusterID: String, endpointName: String) throws(GatewayError) {
        guard unlink(path(clusterID)) == 0 || errno == ENOENT else {
            throw GatewayError("cannot remove \(path(clusterID)): \(String(cString: strerror(errno)))", errno: errno)
        }
    }

    /// Reads every `*.json` file; a file that does not parse is skipped with one warning
    /// per distinct problem (the others' view keeps what it last read from the rest).
    public func current() -> (endpoints: [EndpointObject], clusters: [ClusterObject]) {
        struct Kind: Decodable { var kind: String? }
        struct List: Decodable { var items: [AnyItem] }
        struct AnyItem: Decodable {
            var endpoint: EndpointObject?
            var cluster: ClusterObject?
            init(from decoder: any Decoder) throws {
                let kind = try Kind(from: decoder).kind
                if kind == "Endpoint" { endpoint = try EndpointObject(from: decoder) }
                if kind == "Cluster" { cluster = try ClusterObject(from: decoder) }
            }
        }
        var endpoints: [EndpointObject] = [], clusters: [ClusterObject] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var seen: [String: String] = [:]
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let file = directory + "/" + name
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                let list = try JSONDecoder().decodeBounded(List.self, from: data)
                for item in list.items {
                    if let e = item.endpoint { endpoints.append(e) }
                    if let c = item.cluster { clusters.append(c) }
                }
            } catch {
                seen[file] = "\(error)"
            }
        }
        let found = seen
        queue.async { [logger] in
            for (file, problem) in found where self.problems[file] != problem {
                logger.warning("exchange file skipped: it does not parse", metadata: ["file": "\(file)", "error": "\(problem)"])
            }
            self.problems = found
        }
        return (endpoints, clusters)
    }
}
