#!/usr/bin/env bash
# The test command: every test of the package, then the query-path benchmark thresholds
# (zero allocations per query, instructions per A hit) in release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
swift test
scripts/check-benchmarks.sh
