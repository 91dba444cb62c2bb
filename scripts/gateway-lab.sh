#!/usr/bin/env bash
# The three-cluster gateway lab in network namespaces (../shared/spec/gateway.md d.8),
# driven by Tests/GatewayTests/GatewayLabTests.swift and usable by hand (root):
#
#   gateway-lab.sh up P [--mtu N] [--nat3] [--masquerade]   build the lab, names prefixed P
#   gateway-lab.sh start P I BACKEND [sextant args...]    run `sextant gateway` for cluster I
#   gateway-lab.sh check P [SECONDS]                       ping the 18 paths until all pass or
#                                                          SECONDS pass; prints "passed N failed M"
#   gateway-lab.sh snapshot P I                            gwI's links, rules, routes, nft ruleset
#   gateway-lab.sh cut P I J | heal P                      drop the underlay between gateways I and J
#                                                          (nft on the bridge) | take the drops away
#   gateway-lab.sh down P                                  kill what P started, delete its namespaces
#
# Cluster i: gateway namespace Pgwi (eth0 192.168.77.(10+i) on the underlay bridge in Pul;
# pod0 10.i.0.1 = health-check IP), pod namespace Ppodi (10.i.0.2, service VIP
# 100.(64+i).0.10), subnets 100.(64+i).0.0/16 and 10.i.0.0/16. With --nat3, gateway 3 is
# 172.31.3.2 behind a masquerading router Prt3 (192.168.77.33). --masquerade adds a
# CNI-like MASQUERADE of the pod range on every gateway.
set -euo pipefail

cmd=${1:?usage: gateway-lab.sh up|start|check|snapshot|down PREFIX ...}
P=${2:?prefix}
shift 2
SEXTANT=${SEXTANT:-$(cd "$(dirname "$0")/.." && pwd)/.build/debug/sextant}
RUN=/tmp/$P-lab
ns() { ip netns exec "$P$1" "${@:2}"; }

up() {
  local mtu=1500 nat3=0 masq=0
  while [ $# -gt 0 ]; do
    case $1 in --mtu) mtu=$2; shift 2 ;; --nat3) nat3=1; shift ;; --masquerade) masq=1; shift ;; *) echo "unknown $1" >&2; exit 2 ;; esac
  done
  mkdir -p "$RUN/exchange" "$RUN/state"
  ip netns add "${P}ul"
  ns ul ip link set lo up
  ns ul ip link add br0 type bridge
  ns ul ip link set br0 mtu "$mtu" up
  for i in 1 2 3; do
    ip netns add "${P}gw$i"
    ip netns add "${P}pod$i"
    ns gw$i ip link set lo up
    ns pod$i ip link set lo up
    if [ "$i" = 3 ] && [ "$nat3" = 1 ]; then
      ip netns add "${P}rt3"
      ns rt3 ip link set lo up
      ip link add "${P}u3" netns "${P}ul" type veth peer name eth0 netns "${P}rt3"
      ip link add "${P}n3" netns "${P}rt3" type veth peer name eth0 netns "${P}gw3"
      ns ul ip link set "${P}u3" mtu "$mtu" master br0 up
      ns rt3 ip link set eth0 mtu "$mtu" up
      ns rt3 ip addr add 192.168.77.33/24 dev eth0
      ns rt3 ip link set "${P}n3" name in0
      ns rt3 ip link set in0 mtu "$mtu" up
      ns rt3 ip addr add 172.31.3.1/24 dev in0
      ns rt3 sysctl -qw net.ipv4.ip_forward=1
      ns rt3 iptables -t nat -A POSTROUTING -o eth0 -s 172.31.3.0/24 -j MASQUERADE
      ns gw3 ip link set eth0 mtu "$mtu" up
      ns gw3 ip addr add 172.31.3.2/24 dev eth0
      ns gw3 ip route add default via 172.31.3.1
    else
      ip link add "${P}u$i" netns "${P}ul" type veth peer name eth0 netns "${P}gw$i"
      ns ul ip link set "${P}u$i" mtu "$mtu" master br0 up
      ns gw$i ip link set eth0 mtu "$mtu" up
      ns gw$i ip addr add "192.168.77.$((10 + i))/24" dev eth0
    fi
    ip link add "${P}p$i" netns "${P}gw$i" type veth peer name eth0 netns "${P}pod$i"
    ns gw$i ip link set "${P}p$i" name pod0
    ns gw$i ip link set pod0 up
    ns gw$i ip addr add "10.$i.0.1/24" dev pod0
    ns pod$i ip link set eth0 up
    ns pod$i ip addr add "10.$i.0.2/24" dev eth0
    ns pod$i ip route add default via "10.$i.0.1"
    ns pod$i ip addr add "100.$((64 + i)).0.10/32" dev lo
    ns gw$i ip route add "100.$((64 + i)).0.0/16" via "10.$i.0.2"
    if [ "$masq" = 1 ]; then
      ns gw$i iptables -t nat -A POSTROUTING -s "10.$i.0.0/16" ! -d "10.$i.0.0/16" -j MASQUERADE
    fi
  done
}

start() {
  local i=$1 backend=$2
  shift 2
  local private="192.168.77.$((10 + i))" public=()
  if ip netns list | grep -q "^${P}rt3" && [ "$i" = 3 ]; then private=172.31.3.2; public=(--public-ip 192.168.77.33); fi
  # Cluster 2 finds its health-check IP itself (the address inside its cluster CIDR).
  local health="10.$i.0.1"
  [ "$i" = 2 ] && health=auto
  ip netns exec "${P}gw$i" "$SEXTANT" gateway --cluster-id "${P}c$i" --backend "$backend" \
    --private-ip "$private" "${public[@]}" --health-check-ip "$health" \
    --service-cidr "100.$((64 + i)).0.0/16" --cluster-cidr "10.$i.0.0/16" \
    --exchange "$RUN/exchange" --state-dir "$RUN/state" --interface "${P}wg$i" --hostname "${P}gw$i" "$@" \
    >>"$RUN/gw$i.log" 2>&1 &
  echo $! >"$RUN/gw$i.pid"
  echo $!
}

paths() {
  for i in 1 2 3; do for j in 1 2 3; do
    [ "$i" = "$j" ] && continue
    echo "pod$i 10.$j.0.2"
    echo "pod$i 100.$((64 + j)).0.10"
    echo "gw$i 10.$j.0.1"
  done; done
}

check() {
  local deadline=$(( $(date +%s) + ${1:-0} )) passed failed failures
  while :; do
    passed=0; failed=0; failures=""
    while read -r from to; do
      if ns "$from" ping -c 1 -W 0.3 -q "$to" >/dev/null 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=" $from->$to"; fi
    done < <(paths)
    if [ "$failed" = 0 ] || [ "$(date +%s)" -ge "$deadline" ]; then break; fi
    sleep 0.2
  done
  echo "passed $passed failed $failed${failures:+ failing:$failures}"
}

snapshot() {
  local i=$1
  ns gw$i ip -json link show | python3 -c 'import json,sys; print(sorted((l["ifname"], l.get("mtu")) for l in json.load(sys.stdin)))'
  ns gw$i ip -json rule show
  ns gw$i ip -json route show table all | python3 -c 'import json,sys; print(sorted(json.dumps(r, sort_keys=True) for r in json.load(sys.stdin) if r.get("table") != "local"))'
  ns gw$i nft list ruleset
}

cut() {
  local a="192.168.77.$((10 + $1))" b="192.168.77.$((10 + $2))"
  ns ul nft add table bridge cut
  ns ul nft "add chain bridge cut drops { type filter hook forward priority 0; policy accept; }"
  ns ul nft add rule bridge cut drops ip saddr "$a" ip daddr "$b" drop
  ns ul nft add rule bridge cut drops ip saddr "$b" ip daddr "$a" drop
}

heal() { ns ul nft flush chain bridge cut drops; }

down() {
  for f in "$RUN"/gw*.pid; do [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  for n in $(ip netns list | awk '{print $1}' | grep "^$P" || true); do
    # wireguard-go left running (a SIGKILLed gateway's child) dies with its device.
    for pid in $(ip netns pids "$n" 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns delete "$n"
  done
  rm -f /var/run/wireguard/"${P}"wg*.sock
  rm -rf "$RUN"
}

case $cmd in
  up) up "$@" ;;
  start) start "$@" ;;
  check) check "$@" ;;
  snapshot) snapshot "$@" ;;
  cut) cut "$@" ;;
  heal) heal ;;
  down) down ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
