#!/usr/bin/env bash
# Runs the query-path benchmarks (Benchmarks/, package-benchmark) against the thresholds
# committed in Benchmarks/Thresholds/: zero heap allocations per query for an A hit, an
# SRV hit with glue, a headless answer, NODATA and NXDOMAIN; user-space instructions per
# A hit (callgrind) at most the committed figure. Fails on any regression.
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"

# The instruction count runs QueryLoop under callgrind; the plugin builds only benchmarks.
swift build -c release --product QueryLoop
out=$(mktemp)
status=0
swift package benchmark thresholds check --target QueryPath --no-progress >"$out" 2>&1 || status=$?
grep -v '^\[' "$out" | grep -v '^$' | tail -40
if grep -q "is WORSE than" "$out"; then
    echo "check-benchmarks: a query-path threshold regressed" >&2
    exit 1
fi
# package-benchmark exits non-zero also when a figure is better than its threshold.
if [ "$status" -ne 0 ] && ! grep -q "is BETTER than" "$out"; then
    echo "check-benchmarks: the benchmark run failed (status $status)" >&2
    exit 1
fi
echo "check-benchmarks: thresholds hold"
