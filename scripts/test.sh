#!/usr/bin/env bash
# The test command. Installs the Debian packages the tests need when missing (apt-get as
# root, sudo otherwise, else it prints the apt-get line and exits 2), then:
#   1. swift test: every test of the package, black-box runs of the binary with dig and
#      raw sockets, a Kubernetes API test server, and Unbound, dnsmasq, BIND 9 and Knot
#      Resolver forwarding to Sextant;
#   2. the fuzz targets (Fuzz/): corpora replayed, then ~10 s of libFuzzer + ASan each;
#      the query-path benchmark thresholds in release builds (zero allocations per query,
#      instructions per A hit, counted with callgrind);
#   3. deploy/ and the Dockerfile checked offline (kustomize, kubernetes-validate,
#      checkov, hadolint);
#   4. the image built from the Dockerfile with buildah and run: it answers the demo names
#      over UDP and TCP as uid 65532; the gateway image beside it.
# The gateway's tests build three-cluster labs of network namespaces (root; CI is root).
# SKIP_IMAGE=1 leaves out step 4 (it needs root for buildah's chroot isolation).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-packages.sh
. scripts/ensure-packages.sh

packages=(
    libldns-dev libcurl4-openssl-dev libssl-dev libyaml-dev pkg-config  # the build
    bind9-dnsutils dnsperf python3 openssl               # dig, load, the API test server
    valgrind binutils                                    # instruction thresholds
    unbound dnsmasq-base bind9 knot-resolver             # resolvers in front of Sextant
    nsd                                                  # an upstream behind --forward
    iproute2 procps curl                                 # ss, pgrep, the HTTP endpoint
    python3-prometheus-client                            # its parser reads /metrics
    wireguard-go wireguard-tools nftables iptables       # the gateway's namespace lab
    iperf3 iputils-ping
)
[ "${SKIP_IMAGE:-0}" = 1 ] || packages+=(buildah debootstrap)
ensure_packages "${packages[@]}"

swift test
# The fuzz targets: every seed and every input that once failed, replayed; then about
# 10 s of libFuzzer with AddressSanitizer each, from a fixed seed (scripts/fuzz.sh ci,
# docs/HARDENING.md).
scripts/fuzz.sh replay
scripts/fuzz.sh ci
scripts/check-benchmarks.sh
scripts/check-deploy.sh
if [ "${SKIP_IMAGE:-0}" = 1 ]; then
    echo "test: SKIP_IMAGE=1: the image was not built"
else
    scripts/image.sh
fi
