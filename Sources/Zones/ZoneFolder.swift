import AnswerTable
import ClusterSet
import DNSWire
import FoundationEssentials
import Locking
import Logging

/// The `zones/` folder: every `*.zone` file in it, a built-in SOA and NS for each
/// served zone that has no file, and the objects of every manifest (`*.yaml`, `*.yml`,
/// `*.json`).
public struct ZoneFolder: Sendable {
    /// What a load found.
    public struct Contents: Sendable {
        public var zones: [ZoneContent] = []
        public var objects: [KubeObject] = []
        /// Objects that were skipped, each naming its file and object.
        public var problems: [ManifestProblem] = []
    }

    public let directory: String
    /// Zones served even without a file (`--zone`).
    public let servedZones: [DNSName]

    public init(directory: String, servedZones: [DNSName]) {
        self.directory = directory
        self.servedZones = servedZones
    }

    /// Reads every zone file, in name order. Any bad file fails the whole load, so a
    /// reload never serves half of a folder.
    ///
    /// - Parameter required: when false, a missing folder means "no files" (the embedded
    ///   default run from a directory without `zones/`); when true it is an error.
    public func load(required: Bool, logger: Logger) throws(ZoneFileError) -> Contents {
        let isDirectory = PathName.isDirectory(directory)
        let exists = isDirectory != nil
        var zones: [ZoneContent] = []
        var contents = Contents()
        if isDirectory == false {
            throw ZoneFileError(path: directory, reason: "not a directory")
        }
        if !exists {
            if required { throw ZoneFileError(path: directory, reason: "no such directory") }
            logger.warning("zones folder \(directory) does not exist; serving built-in SOA and NS only")
        } else {
            let entries: [String]
            do {
                entries = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw ZoneFileError(path: directory, reason: "cannot list: \(error)")
            }
            let files = Self.files(entries)
            for file in files.manifests {
                let path = PathName.join(directory, file)
                let m = try ManifestFile.load(path: path)
                for p in m.problems { logger.warning("skipped an object: \(p)") }
                logger.debug("loaded manifest", metadata: ["path": "\(path)", "objects": "\(m.objects.count)", "other-kinds": "\(m.otherKinds)"])
                // The first file's objects as they are (one buffer, not every object
                // retained into a copy and released from the original).
                if contents.objects.isEmpty { contents.objects = m.objects } else { contents.objects += m.objects }
                contents.problems += m.problems
            }
            for file in files.zoneFiles {
                let path = PathName.join(directory, file)
                let zone = try Self.loadZone(path: path, file: file)
                if zones.contains(where: { $0.apex == zone.apex }) {
                    throw ZoneFileError(path: path, reason: "zone \(zone.apex) is already loaded from another file")
                }
                logger.debug("loaded zone file", metadata: ["path": "\(path)", "zone": "\(zone.apex)", "records": "\(zone.records.count + 1)"])
                zones.append(zone)
            }
        }
        for apex in servedZones where !zones.contains(where: { $0.apex == apex }) {
            zones.append(.builtIn(apex: apex))
        }
        contents.zones = zones
        return contents
    }

    /// Of a folder's entries, the ones read, in name order: manifests (`*.yaml`, `*.yml`,
    /// `*.json`) and zone files (`*.zone`); hidden files (Kubernetes' `..data`) left out.
    public static func files(_ entries: [String]) -> (manifests: [String], zoneFiles: [String]) {
        let visible = entries.sorted().filter { !$0.hasPrefix(".") }
        return (visible.filter { f in ManifestFile.extensions.contains { f.hasSuffix($0) } }, visible.filter { $0.hasSuffix(".zone") })
    }

    /// A zone file, its default origin its name without `.zone`.
    public static func loadZone(path: String, file: String) throws(ZoneFileError) -> ZoneContent {
        let origin: DNSName
        do { origin = try DNSName(String(file.dropLast(".zone".count))) } catch {
            throw ZoneFileError(path: path, reason: "the file name does not give an origin: \(error)")
        }
        return try ZoneFile.load(path: path, origin: origin)
    }
}
