#!/usr/bin/env bash
# The fuzz targets of Fuzz/ (libFuzzer; docs/HARDENING.md):
#   scripts/fuzz.sh replay              plain build; every target replays its seed corpus
#                                       (Fuzz/Corpus/<target>) and any crash found before
#                                       (Fuzz/Regressions/<target>); a crash fails
#   scripts/fuzz.sh run SECONDS [T...]  libFuzzer + AddressSanitizer build (release); each
#                                       target fuzzes SECONDS from its corpus; new inputs go
#                                       to .build-fuzz-work/<target>, crashes to fuzz-results/
#   scripts/fuzz.sh long RUNS [T...]    the same for RUNS executions each; prints the figures
#   FUZZ_FLAGS="-detect_leaks=0 ..." adds libFuzzer flags to run, long and ci
#   scripts/fuzz.sh ci                  what CI runs: a fixed number of inputs per target from
#                                       a fixed seed (deterministic: the same inputs every run,
#                                       so a CI run fails only for a change in the code)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=(FuzzQuery FuzzZoneFile FuzzManifest FuzzKubeconfig FuzzObjects FuzzGateway FuzzForwardedReply)
cmd=${1:-replay}
shift || true

case $cmd in
  replay)
    swift build --package-path Fuzz --scratch-path Fuzz/.build >/dev/null
    bin=$(swift build --package-path Fuzz --scratch-path Fuzz/.build --show-bin-path)
    for t in "${TARGETS[@]}"; do
      dirs=(Fuzz/Corpus/$t)
      [ -d Fuzz/Regressions/$t ] && dirs+=(Fuzz/Regressions/$t)
      "$bin/$t" "${dirs[@]}"
    done
    ;;
  run|long|ci)
    if [ "$cmd" = ci ]; then limit=0; else limit=${1:?seconds or runs}; shift || true; fi
    [ $# -gt 0 ] && TARGETS=("$@")
    # Swift 6.3's compiler keeps only the last -sanitize= it is given, and SwiftPM passes
    # --sanitize=fuzzer and --sanitize=address as two: the Swift code then had ASan but no
    # coverage counters (only the C code was fuzzed by coverage). One combined flag after
    # them gives Swift both; the counter check below fails a build without coverage.
    flags=(-c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
           --package-path Fuzz --scratch-path Fuzz/.build-fuzz)
    swift build "${flags[@]}" >/dev/null
    bin=$(swift build "${flags[@]}" --show-bin-path)
    mkdir -p fuzz-results
    for t in "${TARGETS[@]}"; do
      work=.build-fuzz-work/$t
      mkdir -p "$work"
      case $cmd in
        run) stop=(-max_total_time="$limit") ;;
        long) stop=(-runs="$limit") ;;
        # About 10 s each on this machine kind (ASan): the parsers that go through
        # libldns, Yams or files are slower per input.
        ci)
          case $t in
            FuzzQuery) n=600000 ;; FuzzZoneFile) n=50000 ;; FuzzManifest) n=15000 ;;
            FuzzKubeconfig) n=30000 ;; *) n=80000 ;;
          esac
          stop=(-runs="$n" -seed=1)
          rm -rf "$work" && mkdir -p "$work" ;;
      esac
      log=fuzz-results/$t.log
      start=$SECONDS
      if ! SWIFT_BACKTRACE=enable=no "$bin/$t" "${stop[@]}" ${FUZZ_FLAGS:-} -rss_limit_mb=2048 -artifact_prefix="fuzz-results/$t-" \
          "$work" "Fuzz/Corpus/$t" >"$log" 2>&1; then
        echo "fuzz: $t FOUND A CRASH (fuzz-results/$t-*):"; tail -30 "$log"; exit 1
      fi
      counters=$(grep -m1 -oE 'Loaded 1 modules +\(([0-9]+) inline 8-bit counters' "$log" | grep -oE '[0-9]+ inline' | grep -oE '[0-9]+' || echo 0)
      if [ "${counters:-0}" -lt 10000 ]; then
        echo "fuzz: $t has $counters coverage counters: the Swift code is not instrumented (see the flags above)"; exit 1
      fi
      stats=$(grep -E '^(#[0-9]+|Done)' "$log" | tail -1)
      echo "fuzz: $t ok in $((SECONDS - start)) s ($counters counters): $stats; corpus $(ls "$work" | wc -l) new + $(ls "Fuzz/Corpus/$t" | wc -l) seeds"
    done
    ;;
  *) echo "usage: scripts/fuzz.sh replay | run SECONDS [TARGET...] | long RUNS [TARGET...]" >&2; exit 2 ;;
esac
