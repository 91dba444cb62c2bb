#!/usr/bin/env bash
# Builds the container image from the real Dockerfile with buildah (no Docker engine or
# registry needed) and checks it: run as `docker run IMAGE` would (the image's own
# entrypoint and command), it answers the demo names over UDP and TCP, runs as uid 65532
# with no capability, loads no library it lacks; then prints the image's size and what
# takes the space.
#
# Base images: the Dockerfile's defaults come from a registry; this machine has none, so
# both are made here with debootstrap (Debian bookworm) once and kept in buildah's store:
#   localhost/sextant-base/bookworm-slim  minbase bookworm, docs and locales left out
#   localhost/sextant-base/swift-build    that plus what the Swift toolchain needs; the
#                                         toolchain itself (SWIFT_ROOT, default /opt/swift)
#                                         and, when git maps github.com to a local folder,
#                                         that folder are mounted into the build
# The gateway image (`--target gateway`) is built beside it and checked for what
# `sextant gateway` drives: wireguard-go, iptables, nft, and the binary's libraries.
# Usage: scripts/image.sh [build|check|all]   (default all)
#   IMAGE (default localhost/sextant:dev), GATEWAY_IMAGE (localhost/sextant-gateway:dev),
#   DEBIAN_MIRROR, SWIFT_ROOT, KEEP_BASES=0 to remake
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-packages.sh
. scripts/ensure-packages.sh

IMAGE=${IMAGE:-localhost/sextant:dev}
GATEWAY_IMAGE=${GATEWAY_IMAGE:-localhost/sextant-gateway:dev}
SLIM=localhost/sextant-base/bookworm-slim
SWIFTBASE=localhost/sextant-base/swift-build
SWIFT_ROOT=${SWIFT_ROOT:-$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")}
SUITE=bookworm
PORT=5353
ISO=(--isolation chroot)

log() { echo "image: $*" >&2; }
die() { echo "image: $*" >&2; exit 1; }

# The mirror apt already uses (a Debian machine has one), else deb.debian.org.
mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    local m
    m=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | grep -v security | awk 'NR == 1 {print $2}')
    echo "${m:-http://deb.debian.org/debian}"
}

have_image() { buildah images -q "$1" >/dev/null 2>&1 && [ -n "$(buildah images -q "$1" 2>/dev/null)" ]; }

make_slim() {
    local root tarball ctr m
    m=$(mirror)
    root=$(mktemp -d /var/tmp/sextant-rootfs.XXXXXX)
    log "debootstrap $SUITE (minbase) from $m into $root"
    # Paths the official slim images leave out, set before the first package unpacks.
    mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
    cat > "$root/etc/dpkg/dpkg.cfg.d/sextant-slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
SLIM
    debootstrap --variant=minbase "$SUITE" "$root" "$m" >/var/tmp/sextant-debootstrap.log 2>&1 \
        || { tail -20 /var/tmp/sextant-debootstrap.log >&2; die "debootstrap failed"; }
    local sec=${m%/debian}/debian-security
    cat > "$root/etc/apt/sources.list" <<SRC
deb $m $SUITE main
deb $m $SUITE-updates main
deb $sec $SUITE-security main
SRC
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/usr/share/locale/* "$root"/usr/share/man/* "$root"/usr/share/info/*
    find "$root"/usr/share/doc -type f ! -name copyright -delete
    # As the official images do: no .deb kept after an install.
    printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'Binary::apt::APT::Keep-Downloaded-Packages "false";' > "$root"/etc/apt/apt.conf.d/docker-clean
    tarball=$(mktemp /var/tmp/sextant-rootfs.XXXXXX.tar)
    tar -C "$root" --numeric-owner -cf "$tarball" .
    rm -rf "$root"
    ctr=$(buildah from scratch)
    buildah add "$ctr" "$tarball" / >/dev/null
    rm -f "$tarball"
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$ctr"
    buildah commit -q "$ctr" "$SLIM" >/dev/null
    buildah rm "$ctr" >/dev/null
}

make_swift_base() {
    local ctr
    log "making $SWIFTBASE (what the Swift toolchain needs; the toolchain is mounted from $SWIFT_ROOT)"
    ctr=$(buildah from "$SLIM")
    buildah run "${ISO[@]}" "$ctr" -- sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        binutils git libc6-dev libcurl4 libedit2 libgcc-12-dev libncurses6 libpython3.11 libsqlite3-0 \
        libstdc++-12-dev libxml2 libz3-4 pkg-config tzdata zlib1g-dev ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*'
    # git here maps github.com to a folder of package copies; the build sees the same map.
    local rules
    rules=$(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true)
    if [ -n "$rules" ]; then
        printf '%s\n' "$rules" | while read -r key value; do
            buildah run "${ISO[@]}" "$ctr" -- git config --system --add "$key" "$value"
        done
    fi
    buildah config --env "PATH=$SWIFT_ROOT/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$ctr"
    buildah commit -q "$ctr" "$SWIFTBASE" >/dev/null
    buildah rm "$ctr" >/dev/null
}

build() {
    ensure_packages buildah debootstrap
    [ -x "$SWIFT_ROOT/usr/bin/swift" ] || die "no Swift toolchain at $SWIFT_ROOT (set SWIFT_ROOT)"
    if [ "${KEEP_BASES:-1}" = 0 ]; then buildah rmi -f "$SWIFTBASE" "$SLIM" >/dev/null 2>&1 || true; fi
    have_image "$SLIM" || make_slim
    have_image "$SWIFTBASE" || make_swift_base
    local mounts=(-v "$SWIFT_ROOT:$SWIFT_ROOT:ro")
    local folder
    for folder in $(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null | awk '{print $1}' | sed -e 's/^url\.//' -e 's/\.insteadof$//' | sort -u); do
        [ -d "$folder" ] && mounts+=(-v "${folder%/}:${folder%/}:ro")
    done
    log "building $IMAGE from ./Dockerfile"
    local start=$SECONDS
    # Docker's format keeps the HEALTHCHECK instruction (OCI's has no such field).
    # --layers: the gateway target below reuses the build stage instead of compiling again.
    buildah bud "${ISO[@]}" --layers --format docker -q -f Dockerfile \
        --build-arg "BUILD_IMAGE=$SWIFTBASE" --build-arg "RUN_IMAGE=$SLIM" \
        "${mounts[@]}" -t "$IMAGE" . >/dev/null
    log "built $IMAGE in $((SECONDS - start)) s"
    start=$SECONDS
    buildah bud "${ISO[@]}" --layers --format docker -q -f Dockerfile --target gateway \
        --build-arg "BUILD_IMAGE=$SWIFTBASE" --build-arg "RUN_IMAGE=$SLIM" \
        "${mounts[@]}" -t "$GATEWAY_IMAGE" . >/dev/null
    log "built $GATEWAY_IMAGE in $((SECONDS - start)) s"
    # The build stage and an image this tag had before are left untagged: gone, so that
    # repeated runs do not fill the disk (about 900 MB each).
    buildah rmi --prune >/dev/null 2>&1 || true
}

check() {
    have_image "$IMAGE" || die "no image $IMAGE: run scripts/image.sh build"
    command -v dig >/dev/null || die "dig is missing (bind9-dnsutils)"
    if ss -Hlnu "sport = :$PORT" | grep -q . || ss -Hlnt "sport = :$PORT" | grep -q . || ss -Hlnt "sport = :9153" | grep -q .; then
        die "port $PORT or 9153 is taken on this machine; the image's default command listens there"
    fi
    # Globals, not locals: the EXIT trap runs after this function has returned.
    pid= runner= ctr= mnt= out=
    ctr=$(buildah from -q "$IMAGE")
    mnt=$(buildah mount "$ctr")
    out=$(mktemp)
    cleanup() {
        [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
        [ -n "${runner:-}" ] && pkill -TERM -P "$runner" 2>/dev/null || true
        [ -n "${runner:-}" ] && wait "$runner" 2>/dev/null || true
        if [ -n "${ctr:-}" ]; then
            buildah umount "$ctr" >/dev/null 2>&1 || true
            buildah rm "$ctr" >/dev/null 2>&1 || true
        fi
        [ -n "${out:-}" ] && rm -f "$out"
        return 0
    }
    trap cleanup EXIT
    # What `docker run IMAGE` runs: the entrypoint followed by the default command, as the
    # image's user, in its working directory.
    local argv
    mapfile -t argv < <(buildah inspect --type image --format '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
    local user workdir
    user=$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$IMAGE")
    workdir=$(buildah inspect --type image --format '{{.OCIv1.Config.WorkingDir}}' "$IMAGE")
    [ "$user" = "65532:65532" ] || die "the image's user is '$user', not 65532:65532"
    log "running: ${argv[*]} (user $user, workdir $workdir)"
    buildah run "${ISO[@]}" "$ctr" -- "${argv[@]}" >"$out" 2>&1 &
    runner=$!
    local i
    for i in $(seq 1 100); do
        grep -q 'listening on' "$out" && break
        kill -0 "$runner" 2>/dev/null || { cat "$out" >&2; die "the container exited"; }
        sleep 0.1
    done
    grep -q "listening on 0.0.0.0:$PORT" "$out" || { cat "$out" >&2; die "the container does not listen on 0.0.0.0:$PORT"; }
    for i in $(seq 1 50); do grep -q 'http on' "$out" && break; sleep 0.1; done
    # The server process: a sextant below the `buildah run` started here, chrooted.
    local p q
    for p in $(pgrep -x sextant); do
        q=$p
        while [ "$q" -gt 1 ] && [ "$q" != "$runner" ]; do q=$(awk '/^PPid:/ {print $2}' "/proc/$q/status" 2>/dev/null || echo 1); done
        if [ "$q" = "$runner" ] && [ "$(readlink "/proc/$p/root")" != / ]; then pid=$p; fi
    done
    [ -n "$pid" ] || die "cannot find the container's sextant process"
    local uid caps
    uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
    caps=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
    [ "$uid" = "65532 65532 65532 65532" ] || die "the server runs as uid '$uid', not 65532"
    [ "$caps" = "0000000000000000" ] || die "the server holds capabilities $caps"
    log "server pid $pid runs as uid 65532, effective capabilities $caps"

    local fails=0
    expect() {  # expect DESCRIPTION WANT dig-args...
        local what=$1 want=$2; shift 2
        local got
        got=$(dig @127.0.0.1 -p "$PORT" +time=2 +tries=2 +short "$@" | sort | tr '\n' ' ' | sed 's/ $//')
        if [ "$got" = "$want" ]; then log "ok   $what: $got"; else log "FAIL $what: got '$got', want '$want'"; fails=$((fails + 1)); fi
    }
    for t in +notcp +tcp; do
        expect "$t nginx A" "11.96.112.197" $t nginx.nginx-test.svc.clusterset.local A
        expect "$t nginx SRV" "0 50 8080 nginx.nginx-test.svc.clusterset.local." $t _http._tcp.nginx.nginx-test.svc.clusterset.local SRV
        expect "$t redis-slave A" "198.51.100.95" $t redis-slave.guestbook.svc.clusterset.local A
        expect "$t dns-version TXT" '"1.0.0"' $t dns-version.clusterset.local TXT
    done
    local nx
    nx=$(dig @127.0.0.1 -p "$PORT" +time=2 frontend.guestbook.svc.clusterset.local | grep -o 'status: [A-Z]*')
    [ "$nx" = "status: NXDOMAIN" ] && log "ok   not exported: $nx" || { log "FAIL not exported: $nx"; fails=$((fails + 1)); }
    # The operations endpoint on 9153, as the manifests probe it.
    local health metrics
    health=$(curl -s -m 3 -o /dev/null -w '%{http_code}' http://127.0.0.1:9153/health || true)
    [ "$health" = 200 ] && log "ok   /health: 200" || { log "FAIL /health: $health"; fails=$((fails + 1)); }
    metrics=$(curl -s -m 3 http://127.0.0.1:9153/metrics | grep -c '^sextant_dns_replies_total{transport="udp",type="A",rcode="NOERROR"} [1-9]' || true)
    [ "$metrics" = 1 ] && log "ok   /metrics counts the A queries" || { log "FAIL /metrics"; fails=$((fails + 1)); }
    [ "$fails" -eq 0 ] || { cat "$out" >&2; die "$fails check(s) failed"; }

    local missing
    missing=$(chroot "$mnt" /usr/bin/ldd /usr/local/bin/sextant 2>&1 | grep 'not found' || true)
    [ -z "$missing" ] || die "libraries missing in the image: $missing"
    # The libraries the binary opens with dlopen when it needs them: there, and complete.
    local lib
    for lib in libcurl.so.4 libldns.so.3; do
        missing=$(chroot "$mnt" /usr/bin/ldd "/usr/lib/$(uname -m)-linux-gnu/$lib" 2>&1 | grep -E 'not found|No such file' || true)
        [ -z "$missing" ] || die "$lib (opened at run time) is missing or incomplete in the image: $missing"
    done

    # SIGTERM ends it with status 0.
    kill -TERM "$pid"; pid=
    local status=0
    wait "$runner" || status=$?
    runner=
    [ "$status" -eq 0 ] || die "the container exited with $status on SIGTERM"
    log "SIGTERM: exit 0"

    echo
    echo "image $IMAGE: $(buildah images --format '{{.Size}}' "$IMAGE" | awk 'NR == 1')"
    echo "what takes the space (MiB, uncompressed):"
    du -xsm "$mnt"/usr/local/bin/sextant "$mnt"/usr/lib/x86_64-linux-gnu "$mnt"/usr/lib/"$(uname -m)"-linux-gnu \
        "$mnt"/usr/share "$mnt"/usr/bin "$mnt"/var "$mnt"/etc 2>/dev/null | sed "s#$mnt##" | sort -u -k2 | sort -rn
    echo "largest shared libraries:"
    find "$mnt"/usr/lib "$mnt"/lib -name '*.so*' -type f -printf '%s %p\n' 2>/dev/null | sort -rn | awk 'NR <= 8' \
        | awk -v m="$mnt" '{sub(m, "", $2); printf "  %6.1f MiB %s\n", $1 / 1048576, $2}'
    echo "the binary's own libraries:"
    chroot "$mnt" /usr/bin/ldd /usr/local/bin/sextant | awk '{print "  " $1}'
}

# The gateway image: its entrypoint answers `gateway --help`; the programs it drives are there.
check_gateway() {
    have_image "$GATEWAY_IMAGE" || die "no image $GATEWAY_IMAGE: run scripts/image.sh build"
    local gctr help tools t
    gctr=$(buildah from -q "$GATEWAY_IMAGE")
    help=$(buildah run "${ISO[@]}" "$gctr" -- /usr/local/bin/sextant gateway --help 2>&1) || { buildah rm "$gctr" >/dev/null; die "gateway --help failed: $help"; }
    tools=$(buildah run "${ISO[@]}" "$gctr" -- sh -c 'for t in wireguard-go iptables iptables-restore nft; do command -v "$t"; done; { ldd /usr/local/bin/sextant; for l in libcurl.so.4 libcrypto.so.3 libldns.so.3; do ldd "/usr/lib/$(uname -m)-linux-gnu/$l" 2>&1; done; } | grep -c -E "not found|No such file" || true' 2>&1)
    buildah rm "$gctr" >/dev/null
    echo "$help" | grep -q -- '--backend' || die "gateway --help printed: $help"
    for t in wireguard-go iptables iptables-restore nft; do echo "$tools" | grep -q "/$t\$" || die "$GATEWAY_IMAGE lacks $t: $tools"; done
    [ "$(echo "$tools" | tail -1)" = 0 ] || die "libraries missing in $GATEWAY_IMAGE: $tools"
    log "ok   gateway image: gateway --help, wireguard-go, iptables, nft, no missing library (libcurl, libcrypto, libldns included)"
    echo "image $GATEWAY_IMAGE: $(buildah images --format '{{.Size}}' "$GATEWAY_IMAGE" | awk 'NR == 1')"
}

case "${1:-all}" in
    build) build ;;
    check) check; check_gateway ;;
    all) build; check; check_gateway ;;
    *) echo "usage: scripts/image.sh [build|check|all]" >&2; exit 2 ;;
esac
