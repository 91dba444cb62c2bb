#!/usr/bin/env bash
# Set-up time and throughput of `sextant gateway` in the three-cluster namespace lab
# (scripts/gateway-lab.sh), for docs/PERFORMANCE.md. Root. For each backend, RUNS labs:
# seconds from starting the three gateways to all 18 paths answering; then iperf3 TCP
# pod1 → pod2 for 5 s in the last lab (underlay MTU 1500, then 1400 with --mtu).
# Usage: scripts/gateway-bench.sh [RUNS]   (default 5; release binary in .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
export SEXTANT=${SEXTANT:-$PWD/.build/release/sextant}
[ -x "$SEXTANT" ] || swift build -c release --product sextant >/dev/null
L=scripts/gateway-lab.sh
for backend in wireguard vxlan; do
  for mtu in 1500 1400; do
    times=()
    runs=$RUNS
    [ "$mtu" = 1400 ] && runs=1
    for r in $(seq 1 "$runs"); do
      P=gb$RANDOM
      $L up "$P" --mtu "$mtu" >/dev/null
      start=$(date +%s.%N)
      for i in 1 2 3; do $L start "$P" "$i" "$backend" >/dev/null; done
      result=$($L check "$P" 30)
      took=$(echo "$(date +%s.%N) - $start" | bc)
      [ "$mtu" = 1500 ] && times+=("$(printf '%.2f' "$took")")
      if [ "$r" = "$runs" ]; then
        ip netns exec "${P}pod2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
        sleep 0.5
        bps=$(ip netns exec "${P}pod1" iperf3 -c 10.2.0.2 -p 5201 -t 5 -J | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))')
        wait || true
        frags=$(ip netns exec "${P}gw1" nstat -az IpFragCreates | awk '/IpFragCreates/ {print $2}')
        echo "$backend underlay MTU $mtu: $result; iperf3 pod1 → pod2 $bps Mbit/s; IpFragCreates on gw1 $frags"
      fi
      $L down "$P"
    done
    [ "$mtu" = 1500 ] && echo "$backend set-up to 18/18 paths (s): ${times[*]}"
  done
done
