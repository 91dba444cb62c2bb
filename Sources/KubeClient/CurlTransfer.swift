import CCurl
import FoundationEssentials
import Locking

/// One libcurl easy handle, used by one thread at a time for its requests one after
/// another (so that connections and TLS sessions are reused).
///
/// It streams the body to a closure, aborts when its owner stops or when no byte has
/// arrived for `idleTimeout` (a stalled watch: no events, no bookmarks), and never throws
/// for an HTTP status: the caller reads `status`.
final class CurlTransfer {
    /// What one request came to.
    struct Outcome {
        enum End: Equatable {
            /// The server ended the body (any HTTP status).
            case complete
            /// No byte for the idle timeout.
            case stalled
            /// The owner stopped, or the body closure asked to stop.
            case cancelled
            /// A transport failure before or during the body: refused, reset, TLS...
            case failed(String)
        }
        var end: End
        var status: Int
        var retryAfter: Double?
        /// Bytes of a non-2xx body, kept (bounded) for the error message.
        var errorBody: [UInt8]
    }

    private let handle: UnsafeMutableRawPointer
    private let config: KubeConfig
    private let userAgent: String
    let idleTimeout: Double
    private let isCancelled: @Sendable () -> Bool
    /// State of the transfer in progress, reached from the C callbacks.
    fileprivate var sink: ((UnsafeRawBufferPointer) -> Bool)?
    fileprivate var headers: [String] = []
    fileprivate var lastByte = Date()
    fileprivate var stalled = false
    fileprivate var stopRequested = false
    fileprivate var status = 0
    fileprivate var errorBody: [UInt8] = []

    /// - Throws: `KubeConfigError` when libcurl cannot be set up (it only fails out of memory).
    init(config: KubeConfig, userAgent: String, idleTimeout: Double, isCancelled: @escaping @Sendable () -> Bool) throws(KubeConfigError) {
        if let why = ccurl_load() { throw KubeConfigError(String(cString: why)) }
        guard let h = ccurl_easy_init() else { throw KubeConfigError("libcurl: cannot create a handle") }
        handle = h
        self.config = config
        self.userAgent = userAgent
        self.idleTimeout = idleTimeout
        self.isCancelled = isCancelled
        if let c = config.connectTo { connectTo = ccurl_slist_append(nil, c) }
    }

    /// `tls-server-name`: the URL names the certificate's host, this connects to the server.
    private var connectTo: UnsafeMutablePointer<curl_slist>? = nil

    deinit {
        ccurl_easy_cleanup(handle)
        ccurl_slist_free_all(connectTo)
    }

    /// Performs `GET url`. `onBody` gets the body bytes of a 2xx response as they come and
    /// returns false to stop; other statuses keep their first 64 KiB in `errorBody`.
    func get(_ url: String, token: String?, onBody: @escaping (UnsafeRawBufferPointer) -> Bool) -> Outcome {
        perform("GET", url, token: token, body: nil, onBody: onBody)
    }

    /// Performs `method url` with a JSON `body` (POST, PUT, DELETE); the same rules as `get`.
    func perform(_ method: String, _ url: String, token: String?, body: [UInt8]?,
                 onBody: @escaping (UnsafeRawBufferPointer) -> Bool) -> Outcome {
        ccurl_easy_reset(handle)
        headers = []
        stalled = false
        stopRequested = false
        status = 0
        errorBody = []
        lastByte = Date()
        sink = onBody
        defer { sink = nil }

        var list: UnsafeMutablePointer<curl_slist>? = nil
        list = ccurl_slist_append(list, "Accept: application/json")
        if let t = token, !t.isEmpty { list = ccurl_slist_append(list, "Authorization: Bearer \(t)") }
        if body != nil { list = ccurl_slist_append(list, "Content-Type: application/json") }
        defer { ccurl_slist_free_all(list) }
        if method != "GET" { ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method) }
        if let body {
            ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            // COPYPOSTFIELDS: curl keeps its own copy, so the array may go before the transfer ends.
            body.withUnsafeBytes { raw in _ = ccurl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress)) }
        }

        let me = Unmanaged.passUnretained(self).toOpaque()
        ccurl_setopt_string(handle, CURLOPT_URL, url)
        ccurl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        ccurl_setopt_long(handle, CURLOPT_TCP_KEEPIDLE, 30)
        ccurl_setopt_long(handle, CURLOPT_TCP_KEEPINTVL, 10)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 5000)
        ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, ccurl_http_version_2tls())
        // Decode gzip lists transparently (kube-apiserver compresses bodies over 128 KiB).
        ccurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        ccurl_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION, curlWrite)
        ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, me)
        ccurl_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION, curlHeader)
        ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, me)
        ccurl_setopt_xferinfo_cb(handle, curlProgress)
        ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, me)
        ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        configureTLS()

        let code = withExtendedLifetime(self) { ccurl_easy_perform(handle) }
        var http = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &http)
        let end: Outcome.End
        if code == CURLE_OK {
            end = .complete
        } else if stalled {
            end = .stalled
        } else if stopRequested || isCancelled() {
            end = .cancelled
        } else {
            end = .failed(String(cString: ccurl_easy_strerror(code)))
        }
        return Outcome(end: end, status: http, retryAfter: retryAfter, errorBody: errorBody)
    }

    private func configureTLS() {
        if config.insecureSkipTLSVerify {
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        }
        setPEM(config.certificateAuthority, blob: CURLOPT_CAINFO_BLOB, file: CURLOPT_CAINFO)
        setPEM(config.clientCertificate, blob: CURLOPT_SSLCERT_BLOB, file: CURLOPT_SSLCERT)
        setPEM(config.clientKey, blob: CURLOPT_SSLKEY_BLOB, file: CURLOPT_SSLKEY)
        if connectTo != nil { ccurl_setopt_slist(handle, CURLOPT_CONNECT_TO, connectTo) }
    }

    /// PEM from memory (curl copies the blob) or from a file curl reads itself.
    private func setPEM(_ source: KubeConfig.PEMSource?, blob: CURLoption, file: CURLoption) {
        switch source {
        case .pem(let bytes)?: bytes.withUnsafeBytes { _ = ccurl_setopt_blob(handle, blob, $0.baseAddress, $0.count) }
        case .file(let path)?: ccurl_setopt_string(handle, file, path)
        case nil: break
        }
    }

    private var retryAfter: Double? {
        guard let v = header("retry-after"), let s = Double(v), s >= 0 else { return nil }
        return min(s, 300)
    }

    private func header(_ name: String) -> String? {
        let prefix = name + ":"
        for line in headers.reversed() where line.lowercased().hasPrefix(prefix) {
            return line.dropFirst(prefix.count).trimmedWhitespace
        }
        return nil
    }

    fileprivate func received(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lastByte = Date()
        if status == 0 {
            var code = 0
            ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
            status = code
        }
        if (200..<300).contains(status) {
            guard let s = sink, s(bytes) else { stopRequested = true; return false }
            return true
        }
        if errorBody.count < 65536 { errorBody.append(contentsOf: bytes.prefix(65536 - errorBody.count)) }
        return true
    }

    fileprivate func receivedHeader(_ line: String) {
        // A new response (after a 100 Continue or a redirect) starts a new header block.
        if line.hasPrefix("HTTP/") { headers = []; status = 0 }
        headers.append(line)
    }

    fileprivate func tick() -> Bool {
        if isCancelled() || stopRequested { return false }
        if Date().timeIntervalSince(lastByte) > idleTimeout {
            stalled = true
            return false
        }
        return true
    }
}

// C callbacks: global functions capture nothing (notes pitfall 4); the transfer comes
// back through the user pointer, valid while `get` runs.

private func curlWrite(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user, let ptr else { return 0 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    return t.received(UnsafeRawBufferPointer(start: ptr, count: n)) ? n : 0
}

private func curlHeader(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user, let ptr else { return 0 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: n), as: UTF8.self)
    t.receivedHeader(line.trimmedWhitespace)
    return n
}

private func curlProgress(_ user: UnsafeMutableRawPointer?, _: curl_off_t, _: curl_off_t, _: curl_off_t, _: curl_off_t) -> Int32 {
    guard let user else { return 1 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    return t.tick() ? 0 : 1
}
