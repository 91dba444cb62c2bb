/// Where an object came from. Sources live side by side in one store; a re-list or a
/// reload replaces only its own source's objects.
public enum ObjectSource: String, Sendable, Hashable {
    /// Manifests in the zones folder.
    case manifests
    /// The Kubernetes API (the watcher).
    case api
}
