#!/usr/bin/env bash
# Builds a release `sextant` and measures it with the shared load kit (../shared/bench)
# beside the packet-rate ceiling (C echo), Knot DNS, NSD and the Go stand-in for
# CoreDNS+Lighthouse, in interleaved rounds on pinned cores; then memory at 1k/10k/100k
# services. The figures of docs/PERFORMANCE.md come from this script.
#
#   scripts/bench.sh                 # peers (UDP dnsperf + mmsgperf, TCP dnsperf) and memory
#   ROUNDS=5 DUR=15 scripts/bench.sh peers
#
# 9 rounds of 10 s by default (about 27 minutes for the peers): this VM has slow spells of
# a few minutes that raise every server's cost by 15-25 %, and a median of 5 rounds moves
# with how many of each server's rounds a spell caught (docs/PERFORMANCE.md).
#   NS="10000 100000" scripts/bench.sh memory
#   scripts/bench.sh forward         # --forward: cache hits beside Unbound and dnsmasq (and Knot
#                                    # answering the same names authoritatively), then the latency
#                                    # a miss adds over asking the upstream directly
#
# Needs (as root): apt-get install dnsperf knot nsd bind9-dnsutils golang-go golang-github-miekg-dns-dev
# Results are written under ../shared/bench/results/ (one folder per run).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KIT="${KIT:-$ROOT/../shared/bench}"
[ -d "$KIT" ] || { echo "bench.sh: the load kit is not at $KIT (set KIT=...)" >&2; exit 2; }
what="${1:-all}"

# Built as the image builds it: the Swift runtime and FoundationEssentials linked
# statically (--static-swift-stdlib), its own build folder. BENCH_DYNAMIC=1 measures the
# default (dynamic) build instead.
if [ "${BENCH_DYNAMIC:-0}" = 1 ]; then
    (cd "$ROOT" && swift build -c release --product sextant)
    BIN="$ROOT/.build/release/sextant"
else
    (cd "$ROOT" && swift build -c release --static-swift-stdlib --product sextant --build-path .build-static)
    BIN="$ROOT/.build-static/release/sextant"
fi
# Sextant reads the kit's data folder (a zone file plus the services as ServiceImport and
# EndpointSlice manifests) through its real data path, one UDP worker on the pinned core.
export CUSTOM_CMD="$BIN serve --zones {DATADIR}/zones --listen 127.0.0.1:{PORT} --workers 1 ${SEXTANT_FLAGS:-}"

"$KIT/build.sh" >/dev/null
if [ "$what" = all ] || [ "$what" = peers ]; then
    SERVERS="${SERVERS:-echo knot nsd lhstub custom}" TCP_SERVERS="${TCP_SERVERS-knot lhstub custom}" \
        ROUNDS="${ROUNDS:-9}" DUR="${DUR:-10}" "$KIT/run_peers.sh"
fi
if [ "$what" = forward ]; then
    # Sextant serves no zone of its own here (an empty folder and a zone nobody asks), so
    # every question of the mix is forwarded to the kit's upstream Knot and, after the
    # warm-up, answered from the cache: the TTL-3600 data keeps everything fresh.
    empty=$(mktemp -d)
    TTL=3600 SERVERS="${SERVERS:-knot unbound dnsmasq custom}" TCP_SERVERS= ROUNDS="${ROUNDS:-5}" DUR="${DUR:-10}" \
        CUSTOM_CMD="$BIN serve --zones $empty --zone forward.invalid --forward {UPSTREAM} --cache-size 131072 --listen 127.0.0.1:{PORT} --workers 1 --http off" \
        "$KIT/run_peers.sh"
    rmdir "$empty"
    python3 "$ROOT/scripts/forward-latency.py" "$BIN"
fi
if [ "$what" = all ] || [ "$what" = memory ]; then
    MEM_SERVERS="${MEM_SERVERS:-knot lhstub nsd custom}" "$KIT/run_memscale.sh"
fi
