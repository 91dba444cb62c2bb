import Atomics
import Forwarder
import OpsHTTP

extension Operations {
    /// `--forward`'s families: the cache (hits counted by the workers, the rest by the
    /// forwarder) and each upstream, labelled by its address from the command line (a
    /// fixed set).
    func forwarderMetrics(_ p: inout PrometheusText, _ f: Forwarder, cacheHits: Int) {
        let s = f.statistics
        func load(_ a: ManagedAtomic<Int>) -> Int { a.load(ordering: .relaxed) }
        p.single("sextant_forward_cache_hits_total", .counter, "Questions outside the zones answered from the cache by a DNS worker.", Double(cacheHits))
        p.single("sextant_forward_cache_misses_total", .counter, "Questions outside the zones handed to the forwarder.", Double(load(s.misses)))
        p.single("sextant_forward_cache_entries", .gauge, "Answers in the cache.", Double(f.cache?.entries ?? 0))
        p.single("sextant_forward_cache_capacity", .gauge, "Answers the cache holds at most (--cache-size, in whole buckets).", Double(f.cache?.slots ?? 0))
        p.single("sextant_forward_cache_evictions_total", .counter, "Unexpired answers pushed out of the cache by newer ones.", Double(f.cache?.evictions ?? 0))
        p.single("sextant_forward_uncacheable_total", .counter, "Upstream answers relayed but not kept: zero TTL, negative without SOA, an rcode that says nothing of the name, too large for a slot.",
                 Double(load(s.uncacheable)))
        p.single("sextant_forward_coalesced_total", .counter, "Questions that joined the same question already asked upstream.", Double(load(s.coalesced)))
        p.single("sextant_forward_dropped_total", .counter, "Questions dropped: the hand-over queue full, or too many in flight (the client asks again).",
                 Double(load(s.intakeDropped) + load(s.overloaded)))
        p.single("sextant_forward_tcp_retries_total", .counter, "Upstream replies truncated over UDP and asked again over TCP.", Double(load(s.tcpRetries)))
        p.single("sextant_forward_stale_answers_total", .counter, "Expired answers served because every upstream failed (--serve-stale).", Double(load(s.staleAnswers)))
        p.single("sextant_forward_failed_total", .counter, "Questions answered SERVFAIL because every upstream failed or timed out.", Double(load(s.failedQuestions)))
        p.single("sextant_forward_pending", .gauge, "Questions in flight upstream.", Double(load(s.pending)))
        let upstreams = f.configuration.upstreams.map(\.description)
        func each(_ name: String, _ kind: PrometheusText.Kind, _ help: String, _ value: (ForwarderStatistics.PerUpstream) -> Int) {
            p.family(name, kind, help)
            for (i, u) in s.upstreams.enumerated() { p.sample(name, value(u), labels: ["upstream": upstreams[i]]) }
        }
        each("sextant_forward_upstream_queries_total", .counter, "Questions sent to each upstream.") { load($0.queries) }
        each("sextant_forward_upstream_timeouts_total", .counter, "Questions an upstream did not answer within --forward-timeout.") { load($0.timeouts) }
        each("sextant_forward_upstream_errors_total", .counter, "Socket errors, refused connections and malformed replies from each upstream.") { load($0.errors) }
        each("sextant_forward_upstream_failures_total", .counter, "Replies with SERVFAIL, REFUSED, NOTIMP or FORMERR from each upstream.") { load($0.failures) }
        each("sextant_forward_upstream_ignored_total", .counter, "Datagrams ignored: wrong ID, wrong question or wrong source.") { load($0.ignored) }
        each("sextant_forward_upstream_up", .gauge, "1 while an upstream is asked, 0 while it is skipped after failures in a row.") { load($0.up) }
        each("sextant_forward_upstream_rtt_microseconds", .gauge, "Smoothed round-trip time to each upstream.") { load($0.rttMicros) }
    }
}
