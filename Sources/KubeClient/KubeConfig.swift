import FoundationEssentials

/// How to reach one API server: where, whom to trust, who we are.
///
/// Built from a kubeconfig file (`KubeConfig+Kubeconfig.swift`) or the pod's service
/// account (`KubeConfig+InCluster.swift`); both check everything they can up front so
/// a bad configuration fails at start-up, not at the first request.
public struct KubeConfig: Sendable {
    /// PEM bytes held in the configuration, or a file curl reads itself.
    public enum PEMSource: Sendable, Equatable {
        case pem([UInt8])
        case file(String)
    }

    /// `https://host:port` (maybe with a path prefix), no trailing slash.
    public var server: String
    public var certificateAuthority: PEMSource?
    public var clientCertificate: PEMSource?
    public var clientKey: PEMSource?
    public var insecureSkipTLSVerify: Bool
    /// The name the server certificate is checked against, when not the URL's host.
    public var tlsServerName: String?
    public var token: TokenSource?
    /// The context's (or the pod's) namespace.
    public var namespace: String?

    public init(server: String, certificateAuthority: PEMSource? = nil, clientCertificate: PEMSource? = nil,
                clientKey: PEMSource? = nil, insecureSkipTLSVerify: Bool = false, tlsServerName: String? = nil,
                token: TokenSource? = nil, namespace: String? = nil) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.token = token
        self.namespace = namespace
    }

    /// The base of request URLs: the server, with its host replaced by `tlsServerName`
    /// when one is set (curl checks the certificate against the URL's host).
    var baseURL: String {
        guard let name = tlsServerName, var c = URLComponents(string: server) else { return server }
        c.host = name
        return c.string ?? server
    }

    /// For `CURLOPT_CONNECT_TO`: connect to the configured host while the URL names
    /// `tlsServerName`.
    var connectTo: String? {
        guard let name = tlsServerName, let c = URLComponents(string: server), let host = c.host else { return nil }
        let port = c.port ?? (c.scheme == "http" ? 80 : 443)
        let target = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(name):\(port):\(target):\(port)"
    }

    /// Checks what does not depend on the network.
    func validate(origin: String) throws(KubeConfigError) {
        guard let c = URLComponents(string: server), let scheme = c.scheme, c.host?.isEmpty == false else {
            throw KubeConfigError("\(origin): server '\(server)' is not a URL")
        }
        guard scheme == "https" || scheme == "http" else {
            throw KubeConfigError("\(origin): server '\(server)' must be https:// (or http://)")
        }
        if insecureSkipTLSVerify && certificateAuthority != nil {
            throw KubeConfigError("\(origin): specifying a root certificates file with the insecure flag is not allowed")
        }
        if (clientCertificate == nil) != (clientKey == nil) {
            throw KubeConfigError("\(origin): a client certificate needs its key, and a key its certificate")
        }
        for case .file(let path)? in [certificateAuthority, clientCertificate, clientKey] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw KubeConfigError("\(origin): cannot read \(path)")
            }
        }
        if let t = token { try t.check(origin: origin) }
    }
}
