import FastJSON
import FoundationEssentials
import Dispatch
import Locking
import Logging
import Synchronization

/// Keeps one collection's objects flowing to a handler, the way client-go's Reflector
/// does (kubernetes-watch.md §11): LIST (paginated), WATCH from the list's
/// resourceVersion with bookmarks, resume from the last seen version, re-LIST after
/// 410 Gone (as an HTTP status or an ERROR event), Retry-After on 429 and 5xx, back-off
/// with jitter, stalled streams dropped.
///
/// Runs on a thread of its own with a blocking libcurl handle; nothing here touches the
/// DNS workers. `handler` is called on that thread, in order.
public final class Reflector<Item: Decodable & Sendable>: Sendable {
    public let resource: APIResource
    let config: KubeConfig
    let options: ReflectorOptions
    let handler: @Sendable (ReflectorEvent<Item>) -> Void
    /// Reads one LIST item without JSONDecoder when it can (nil: it cannot say, and
    /// JSONDecoder reads it as before). Issue 18: the first LIST was mostly JSONDecoder.
    let fastItem: (@Sendable (UnsafeRawBufferPointer) -> (ObjectReference, Item)?)?
    let logger: Logger
    private let stopped = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    /// Lists and restarts by reason (the metrics endpoint reads them).
    public let statistics = ReflectorStatistics()

    public init(resource: APIResource, config: KubeConfig, options: ReflectorOptions = ReflectorOptions(),
                logger: Logger, fastItem: (@Sendable (UnsafeRawBufferPointer) -> (ObjectReference, Item)?)? = nil,
                handler: @escaping @Sendable (ReflectorEvent<Item>) -> Void) {
        self.fastItem = fastItem
        self.resource = resource
        self.config = config
        self.options = options
        self.logger = logger
        self.handler = handler
    }

    /// Starts the thread. Throws only when libcurl cannot be set up.
    public func start() throws(KubeConfigError) {
        let transfer = try CurlTransfer(config: config, userAgent: options.userAgent, idleTimeout: options.idleTimeout) { [self] in isStopped }
        let box = TransferBox(transfer)
        let r = OSThread.start(name: "watch \(resource.resource)") { [self] in
            var loop = Loop(reflector: self, transfer: box.transfer)
            loop.run()
            done.signal()
        }
        if r != 0 { throw KubeConfigError("cannot start the watch thread: error \(r)") }
    }

    /// Stops at the next callback (within a second) and waits for the thread.
    public func stop() {
        requestStop()
        waitUntilStopped()
    }

    /// Asks the thread to stop without waiting (to stop several reflectors at once).
    public func requestStop() {
        if stopped.exchange(true, ordering: .relaxed) { return }
        wake.signal()
    }

    /// Waits for the thread after `requestStop()`; once.
    public func waitUntilStopped() {
        done.wait()
    }

    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// Sleeps `seconds`, waking early on `stop()`.
    func sleep(_ seconds: Double) {
        guard seconds > 0, !isStopped else { return }
        _ = wake.wait(timeout: .now() + seconds)
    }
}

/// The transfer crosses to the reflector's thread once and is used there only.
private final class TransferBox: @unchecked Sendable {
    // @unchecked: handed over before the thread starts, never touched by the creator again.
    let transfer: CurlTransfer
    init(_ t: CurlTransfer) { transfer = t }
}

extension Reflector {
    /// The state of one reflector's thread.
    struct Loop {
        let r: Reflector
        let transfer: CurlTransfer
        var lastRV: String?
        var needList = true
        var transportBackoff: Backoff
        var errorBackoff: Backoff
        var unavailable = false
        /// Why the next list happens (nil: the first).
        var relistReason: ReflectorStatistics.Relist?
        /// Whether a list has completed once.
        var listed = false
        /// When the last LIST completed: a 410 right after one means the server keeps
        /// refusing, and re-listing at once would spin.
        var listedAt = Date.distantPast

        init(reflector: Reflector, transfer: CurlTransfer) {
            r = reflector
            self.transfer = transfer
            transportBackoff = reflector.options.transportBackoff
            errorBackoff = reflector.options.errorBackoff
        }

        /// Why a request did not give what was wanted.
        enum Failure: Error {
            case transport(String)
            case stalled
            case http(KubeStatus, retryAfter: Double?)
            case gone(String)
            case malformed(String)
            case cancelled
        }

        mutating func run() {
            while !r.isStopped {
                if needList {
                    do {
                        try list()
                        r.statistics.listed(listed ? relistReason : nil)
                        listed = true
                        relistReason = .error
                        needList = false
                        if unavailable { r.logger.notice("\(r.resource) is served again") }
                        unavailable = false
                    } catch {
                        handle(error, listing: true)
                    }
                    continue
                }
                let started = Date()
                do {
                    let events = try watch()
                    // A watch that ends at once with nothing in it is a misbehaving server:
                    // back off instead of spinning (client-go's "very short watch").
                    if events == 0 && Date().timeIntervalSince(started) < 1 {
                        r.sleep(errorBackoff.next())
                    }
                    r.statistics.restarted(.timeout)
                } catch {
                    handle(error, listing: false)
                }
            }
        }

        mutating func handle(_ failure: Failure, listing: Bool) {
            let what = listing ? "list" : "watch"
            if let why = Self.restartReason(failure) { r.statistics.restarted(why) }
            switch failure {
            case .cancelled:
                return
            case .transport(let why):
                r.logger.warning("\(what) \(r.resource) failed: \(why); retrying")
                r.sleep(transportBackoff.next())
            case .stalled:
                r.logger.warning("\(what) \(r.resource): nothing received for \(Int(r.options.idleTimeout)) s; reconnecting")
                r.sleep(transportBackoff.next())
            case .gone(let why):
                r.logger.info("\(what) \(r.resource): \(why); listing again")
                needList = true
                relistReason = .gone
                lastRV = nil
                if Date().timeIntervalSince(listedAt) < 1 { r.sleep(errorBackoff.next()) }
            case .malformed(let why):
                r.logger.error("\(what) \(r.resource): \(why); \(listing ? "listing" : "watching") again")
                r.sleep(errorBackoff.next())
            case .http(let status, let retryAfter):
                let code = status.code ?? 0
                if let s = retryAfter, code == 429 || code >= 500 {
                    r.logger.warning("\(what) \(r.resource): \(status.summary); retrying in \(s) s")
                    r.sleep(s)
                    return
                }
                switch code {
                case 401:
                    r.logger.warning("\(what) \(r.resource): 401 Unauthorized; reading the token again")
                    r.config.token?.invalidate()
                    r.sleep(errorBackoff.next())
                case 403, 404:
                    if !unavailable {
                        r.logger.error("\(what) \(r.resource): \(status.summary); treating it as absent and asking again every \(Int(r.options.unavailableRetry)) s")
                        unavailable = true
                        r.handler(.unavailable(status))
                    }
                    needList = true
                    relistReason = .unavailable
                    r.sleep(r.options.unavailableRetry)
                case 429:
                    r.logger.warning("\(what) \(r.resource): \(status.summary)")
                    r.sleep(errorBackoff.next())
                case 500..<600 where !listing:
                    // InternalError during a watch: re-watch after a short wait.
                    r.logger.warning("\(what) \(r.resource): \(status.summary); watching again")
                    r.sleep(errorBackoff.next())
                default:
                    r.logger.error("\(what) \(r.resource): \(status.summary)")
                    needList = true
                    r.sleep(errorBackoff.next())
                }
            }
        }

        /// The restart a failure counts as (nil: stopping).
        static func restartReason(_ failure: Failure) -> ReflectorStatistics.Restart? {
            switch failure {
            case .cancelled: return nil
            case .transport: return .transport
            case .stalled: return .stalled
            case .gone: return .gone
            case .malformed: return .malformed
            case .http(let status, _):
                switch status.code ?? 0 {
                case 401: return .unauthorized
                case 403, 404: return .unavailable
                case 429: return .throttled
                case 500..<600: return .serverError
                default: return .other
                }
            }
        }

        var token: String? { r.config.token?.current() }

        /// One complete LIST, page by page; a continue token that expired starts over
        /// without pagination (client-go's pager).
        mutating func list() throws(Failure) {
            var items: [Decoded<Item>] = []
            var cont: String? = nil
            var paginate = true
            while true {
                var q: [(String, String)] = []
                if paginate { q.append(("limit", String(r.options.pageSize))) }
                if let c = cont { q.append(("continue", c)) }
                let url = r.resource.url(base: r.config.baseURL, query: q)
                var body: [UInt8] = []
                let max = r.options.maxListBytes
                let out = transfer.get(url, token: token) { bytes in
                    body.append(contentsOf: bytes)
                    return body.count <= max
                }
                do {
                    try check(out)
                } catch {
                    guard case .gone = error, cont != nil else { throw error }
                    // The continue token expired: start over, in one piece.
                    r.logger.info("list \(r.resource): continue token expired; listing again without pages")
                    items = []
                    cont = nil
                    paginate = false
                    continue
                }
                if out.end == .cancelled { throw .malformed("the list is larger than \(max) bytes") }
                let page: ListPage<Item>
                if let fast = r.fastItem, let read = ListPage<Item>.fast(body, item: fast) {
                    page = read
                } else {
                    do {
                        page = try JSONDecoder().decodeBounded(ListPage<Item>.self, from: Data(body))
                    } catch {
                        throw .malformed("the list is not valid JSON: \(KubeConfig.reason(error))")
                    }
                }
                items += page.items ?? []
                if let c = page.metadata.continue, !c.isEmpty, paginate {
                    cont = c
                    continue
                }
                guard let rv = page.metadata.resourceVersion, !rv.isEmpty else {
                    throw .malformed("the list has no metadata.resourceVersion")
                }
                lastRV = rv
                listedAt = Date()
                r.handler(.replaced(items))
                errorBackoff.reset()
                transportBackoff.reset()
                return
            }
        }

        /// Throws what a finished transfer means, unless it is a 2xx to go on with.
        func check(_ out: CurlTransfer.Outcome) throws(Failure) {
            switch out.end {
            case .stalled: throw .stalled
            case .failed(let why) where out.status == 0 || (200..<300).contains(out.status): throw .transport(why)
            case .cancelled where r.isStopped: throw .cancelled
            default: break
            }
            if (200..<300).contains(out.status) { return }
            let status = KubeStatus.from(body: out.errorBody, status: out.status)
            if out.status == 410 { throw .gone(status.message ?? "410 Gone") }
            throw .http(status, retryAfter: out.retryAfter)
        }

        /// One WATCH from `lastRV`; returns how many events it delivered when the server
        /// ends it cleanly.
        mutating func watch() throws(Failure) -> Int {
            guard let from = lastRV else {
                needList = true
                return 0
            }
            let timeout = Int.random(in: r.options.watchTimeout)
            let url = r.resource.url(base: r.config.baseURL, query: [
                ("watch", "1"), ("resourceVersion", from), ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(timeout)),
            ])
            var lines = LineBuffer(maxLine: r.options.maxEventBytes)
            var stop: Failure? = nil
            var count = 0
            var rv = from
            let decoder = JSONDecoder()
            let reflector = r
            let out = transfer.get(url, token: token) { bytes in
                let ok = lines.append(bytes) { line in
                    let event: WatchLine<Item>
                    do {
                        event = try decoder.decodeBounded(WatchLine<Item>.self, from: Data(line))
                    } catch {
                        stop = .malformed("an event is not valid JSON (\(KubeConfig.reason(error)))")
                        return false
                    }
                    switch event {
                    case .added(let o), .modified(let o):
                        reflector.handler(.upserted(o))
                        if let v = o.reference.resourceVersion { rv = v }
                    case .deleted(let o):
                        reflector.handler(.deleted(o))
                        if let v = o.reference.resourceVersion { rv = v }
                    case .bookmark(let v):
                        if let v { rv = v }
                    case .error(let status):
                        if status.code == 410 || status.reason == "Expired" || status.reason == "Gone" {
                            stop = .gone(status.message ?? "410 Gone")
                        } else {
                            stop = .http(status, retryAfter: nil)
                        }
                        return false
                    case .unknown(let type):
                        reflector.logger.warning("watch \(reflector.resource): unknown event type \(type) skipped")
                    }
                    count += 1
                    return true
                }
                if !ok && stop == nil { stop = .malformed("an event is longer than \(reflector.options.maxEventBytes) bytes") }
                return ok
            }
            lastRV = rv
            if let s = stop { throw s }
            // A 2xx past `check` has ended cleanly: failures and stalls were thrown there,
            // and the body closure only stops after setting `stop`.
            try check(out)
            if !lines.isEmpty { throw .malformed("the stream ended inside an event") }
            transportBackoff.reset()
            return count
        }
    }
}
