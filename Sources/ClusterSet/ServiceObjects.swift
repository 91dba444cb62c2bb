/// Everything the store holds for one service, already sorted into roles by layout.
struct ServiceObjects: Sendable {
    var imports: [ServiceImport] = []
    /// Pre-0.15 per-cluster ServiceImports, by exporting cluster.
    var legacyImports: [(cluster: String, object: ServiceImport)] = []
    var slices: [(cluster: String, legacy: Bool, object: EndpointSlice)] = []
}
