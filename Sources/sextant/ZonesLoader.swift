import ClusterSet
import DNSWire
import Dispatch
import Logging
import Zones

/// Reads the zones folder (zone files and manifests) and hands it to the store's
/// publisher: at start-up, and again on SIGHUP. Manifest objects are the `manifests`
/// source, so a reload never touches what the API server sent.
final class ZonesLoader: Sendable {
    let folder: ZoneFolder
    let required: Bool
    let logger: Logger

    init(folder: ZoneFolder, required: Bool, logger: Logger) {
        self.folder = folder
        self.required = required
        self.logger = logger
    }

    /// Reads the folder. Throws with status 2 when it is bad.
    func read() throws(StartupError) -> ZoneFolder.Contents {
        let contents: ZoneFolder.Contents
        do {
            contents = try folder.load(required: required, logger: logger)
        } catch {
            throw StartupError(description: error.description, status: 2)
        }
        logger.info("read zones folder", metadata: [
            "path": "\(folder.directory)", "zones": "\(contents.zones.count)", "objects": "\(contents.objects.count)",
            "skipped": "\(contents.problems.count)",
        ])
        return contents
    }

    /// SIGHUP: a bad folder keeps the old data.
    func reload(into publisher: StorePublisher) {
        do {
            let contents = try read()
            publisher.submit([.zones(contents.zones), .replace(Set(ObjectKind.allCases), contents.objects, .manifests)])
        } catch {
            logger.error("reload failed; still serving the previous data: \(error)")
        }
    }
}
