import FastJSON
import FoundationEssentials
import Locking
import YAML

extension KubeConfig {
    /// Reads a kubeconfig (YAML or JSON) and picks `context` (default: `current-context`).
    ///
    /// Relative paths are taken from the file's folder; `*-data` fields are base64 PEM.
    /// `exec` and `auth-provider` users are refused with a clear message rather than sent
    /// without credentials.
    public static func load(kubeconfig path: String, context wanted: String? = nil) throws(KubeConfigError) -> KubeConfig {
        guard let data = FileContents.read(path) else {
            throw KubeConfigError("kubeconfig \(path): cannot read the file")
        }
        let file: KubeconfigFile
        do {
            // YAML (or JSON, which YAML reads too) as JSON text, then the decoder; every
            // field is a string or a boolean, however it is written (`token: 12345`).
            let documents = try data.withUnsafeBytes { raw in
                Result { () throws(YAMLError) in try YAMLReader.documents(raw, scalars: .stringsExceptBoolAndNull) }
            }.get()
            guard let first = documents.first else { throw KubeConfigError("the file is empty") }
            file = try JSONDecoder().decodeBounded(KubeconfigFile.self, from: Data(first.json))
        } catch {
            throw KubeConfigError("kubeconfig \(path): not a kubeconfig: \(Self.reason(error))")
        }
        let folder = PathName.parent(of: path).isEmpty ? "." : PathName.parent(of: path)
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : folder + "/" + p }

        guard let contextName = wanted ?? file.currentContext.flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw KubeConfigError("kubeconfig \(path): no current-context; name one with --context")
        }
        guard let context = file.contexts?.first(where: { $0.name == contextName })?.context else {
            throw KubeConfigError("kubeconfig \(path): no context named '\(contextName)'")
        }
        guard let cluster = file.clusters?.first(where: { $0.name == context.cluster })?.cluster else {
            throw KubeConfigError("kubeconfig \(path): context '\(contextName)' names cluster '\(context.cluster)', which is not defined")
        }
        var user = KubeconfigFile.User()
        if let name = context.user, !name.isEmpty {
            guard let u = file.users?.first(where: { $0.name == name })?.user else {
                throw KubeConfigError("kubeconfig \(path): context '\(contextName)' names user '\(name)', which is not defined")
            }
            user = u
        }
        if user.exec != nil || user.authProvider != nil {
            throw KubeConfigError("kubeconfig \(path): user of context '\(contextName)' uses an exec plugin or auth provider; give Sextant a token, tokenFile or client certificate")
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw KubeConfigError("kubeconfig \(path): cluster '\(context.cluster)' has no server")
        }

        func pem(_ data: String?, _ file: String?, field: String) throws(KubeConfigError) -> PEMSource? {
            if let d = data, !d.isEmpty {
                guard let bytes = Data(base64Encoded: d.filter { !$0.isWhitespace }) else {
                    throw KubeConfigError("kubeconfig \(path): \(field)-data is not base64")
                }
                return .pem(Array(bytes))
            }
            if let f = file, !f.isEmpty { return .file(resolve(f)) }
            return nil
        }
        var token: TokenSource?
        if let f = user.tokenFile, !f.isEmpty {
            token = TokenSource(.file(resolve(f)))
        } else if let t = user.token, !t.isEmpty {
            token = TokenSource(.fixed(t))
        }
        let config = KubeConfig(
            server: server,
            certificateAuthority: try pem(cluster.certificateAuthorityData, cluster.certificateAuthority, field: "certificate-authority"),
            clientCertificate: try pem(user.clientCertificateData, user.clientCertificate, field: "client-certificate"),
            clientKey: try pem(user.clientKeyData, user.clientKey, field: "client-key"),
            insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
            tlsServerName: cluster.tlsServerName,
            token: token,
            namespace: context.namespace)
        try config.validate(origin: "kubeconfig \(path)")
        return config
    }

    static func reason(_ error: Error) -> String {
        switch error {
        case let e as DecodingError:
            switch e {
            case .keyNotFound(let k, let c): return "missing \((c.codingPath + [k]).map(\.stringValue).joined(separator: "."))"
            case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
            case .dataCorrupted(let c): return c.debugDescription
            @unknown default: return "\(e)"
            }
        default: return "\(error)"
        }
    }
}

/// The parts of a kubeconfig Sextant reads (kubeconfig v1).
struct KubeconfigFile: Decodable {
    struct Named<T: Decodable>: Decodable {
        var name: String
        var value: T?
        enum CodingKeys: String, CodingKey { case name, cluster, user, context }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            value = try c.decodeIfPresent(T.self, forKey: .cluster) ?? c.decodeIfPresent(T.self, forKey: .user) ?? c.decodeIfPresent(T.self, forKey: .context)
        }
        var cluster: T? { value }
        var user: T? { value }
        var context: T? { value }
    }
    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?
        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }
    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var exec: Exec?
        var authProvider: Exec?
        struct Exec: Decodable {}
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
        init() {}
    }
    struct Context: Decodable {
        var cluster: String
        var user: String?
        var namespace: String?
    }
    var currentContext: String?
    var clusters: [Named<Cluster>]?
    var users: [Named<User>]?
    var contexts: [Named<Context>]?
    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context"
        case clusters, users, contexts
    }
}
