import FoundationEssentials
import Locking

extension KubeConfig {
    /// The service account folder a pod gets (kubernetes-watch.md §9).
    public static let serviceAccountFolder = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The pod's own API server: `KUBERNETES_SERVICE_HOST`/`_PORT`, the projected token
    /// (re-read as the kubelet rotates it), the cluster CA and the pod's namespace.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        folder: String = serviceAccountFolder
    ) throws(KubeConfigError) -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeConfigError("--in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)")
        }
        guard UInt16(port) != nil else {
            throw KubeConfigError("--in-cluster: KUBERNETES_SERVICE_PORT '\(port)' is not a port")
        }
        let h = host.contains(":") ? "[\(host)]" : host
        let ca = folder + "/ca.crt"
        let namespace = FileContents.read(folder + "/namespace")
            .map { String(decoding: $0, as: UTF8.self).trimmedWhitespace }
        let config = KubeConfig(
            server: "https://\(h):\(port)",
            certificateAuthority: .file(ca),
            token: TokenSource(.file(folder + "/token")),
            namespace: namespace)
        try config.validate(origin: "--in-cluster (\(folder))")
        return config
    }
}
