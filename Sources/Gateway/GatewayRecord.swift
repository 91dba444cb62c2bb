import FastJSON
import FoundationEssentials
import Locking

/// What a gateway made, kept on disk (`<state dir>/<cluster>.json`) before it makes it:
/// a gateway killed without its clean-up, restarted, or restarted with another backend
/// finds it and adopts or removes exactly these things, and nothing of anyone else's.
struct GatewayRecord: Codable, Equatable {
    var backend: String
    var device: String
    var table: UInt32
    var rulePriority: UInt32
    var packetFilter: String
    /// nftables tables that did not exist before the first rule (deleted again if empty).
    var createdTables: [String]
    var wireguardSocketDirectory: String?

    static func path(directory: String, clusterID: String) -> String {
        directory + "/" + ObjectNaming.validName(clusterID) + ".json"
    }

    static func load(_ path: String) -> GatewayRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decodeBounded(GatewayRecord.self, from: data)
    }

    func save(_ path: String) throws(GatewayError) {
        let dir = PathName.parent(of: path)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw GatewayError("cannot write the gateway's record \(path): \(error)")
        }
    }
}
