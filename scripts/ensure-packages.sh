#!/usr/bin/env bash
# Installs the Debian packages named as arguments when any is missing: with apt-get as
# root, through sudo otherwise, else prints the one apt-get line to run and exits 2.
# Sourced or run; used by scripts/run.sh and scripts/test.sh so that both work on a fresh
# Debian or Ubuntu machine that has only Swift.
set -euo pipefail

ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "ensure-packages: not a Debian or Ubuntu system; install the equivalents of: $*" >&2
        return 2
    fi
    local missing=() pkg
    for pkg in "$@"; do
        # dpkg-query prints the status for installed packages only as "install ok installed".
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo)
        else
            echo "ensure-packages: these Debian packages are missing; install them with:" >&2
            echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
            return 2
        fi
    fi
    echo "ensure-packages: installing ${missing[*]}" >&2
    # A fresh machine may have no package lists yet: update once before installing.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # Servers the tests start themselves (BIND, Unbound, Knot Resolver) must not start as
    # system services on install: a policy-rc.d that says no, for this install only
    # (unless the machine has its own).
    local policy=/usr/sbin/policy-rc.d placed=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# Placed by Sextant scripts/ensure-packages.sh during an install.\nexit 101\n' \
            | "${sudo[@]}" tee "$policy" >/dev/null && "${sudo[@]}" chmod 755 "$policy" && placed=1
    fi
    local status=0
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
    if [ "$placed" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi
    return "$status"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    ensure_packages "$@"
fi
