#!/usr/bin/env bash
# The README's run command: `sextant serve` with the given flags (none: ./zones on
# 127.0.0.1:5353), after installing the two C libraries it builds against if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-packages.sh
. scripts/ensure-packages.sh
ensure_packages libldns-dev libcurl4-openssl-dev libssl-dev libyaml-dev pkg-config
exec swift run sextant serve "$@"
