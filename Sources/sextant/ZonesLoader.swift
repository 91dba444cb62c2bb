import ClusterSet
import DNSWire
import Dispatch
import Logging
import Zones

/// Feeds the zones folder into the store and publishes answer tables. Owns the store,
/// so a reload keeps the round-robin positions. Used from one queue at a time.
final class ZonesLoader: @unchecked Sendable {
    // @unchecked: after start-up every call comes from the signal queue, one at a time.
    let folder: ZoneFolder
    let required: Bool
    let store: ClusterSetStore
    let logger: Logger
    private(set) var snapshots: SnapshotBox?

    init(folder: ZoneFolder, required: Bool, configuration: StoreConfiguration, logger: Logger) {
        self.folder = folder
        self.required = required
        self.store = ClusterSetStore(configuration: configuration)
        self.logger = logger
    }

    /// Reads the folder and compiles a table. Throws with status 2 when the folder is bad;
    /// the store is only changed once the whole folder has been read.
    func load() throws(StartupError) -> AnswerTable {
        let contents: ZoneFolder.Contents
        do {
            contents = try folder.load(required: required, logger: logger)
        } catch {
            throw StartupError(description: error.description, status: 2)
        }
        store.replaceAll(of: Set(ObjectKind.allCases), with: contents.objects)
        let table = store.makeTable(zones: contents.zones)
        logger.info("loaded zones folder", metadata: [
            "path": "\(folder.directory)", "zones": "\(contents.zones.count)", "objects": "\(contents.objects.count)",
            "skipped": "\(contents.problems.count)", "services": "\(store.serviceCount)", "names": "\(table.nameCount)",
        ])
        for (why, n) in store.ignoredCounts.sorted(by: { $0.key < $1.key }) {
            logger.debug("objects not used", metadata: ["reason": "\(why)", "count": "\(n)"])
        }
        return table
    }

    func start() throws(StartupError) -> SnapshotBox {
        let box = SnapshotBox(try load())
        snapshots = box
        return box
    }

    /// SIGHUP: a bad folder keeps the old data.
    func reload() {
        do {
            let table = try load()
            snapshots?.publish(table)
        } catch {
            logger.error("reload failed; still serving the previous data: \(error)")
        }
    }
}
