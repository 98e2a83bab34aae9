#!/usr/bin/env bash
# Builds fuzz/ (libFuzzer + ASan/UBSan, clang) in build-fuzz/ and runs the
# Parse+UnwrapForward target for SECONDS (default 60). Exits non-zero on a
# crash; the crashing input is left in build-fuzz/artifacts/ — copy it to
# fixtures/mime-regressions/NAME.eml so tests/mime/regressions_test.cpp keeps it.
set -euo pipefail
SECONDS_TO_RUN="${1:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build-fuzz"
CXX_BIN="$(command -v clang++ || command -v clang++-14)"
cmake -S "$ROOT/fuzz" -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2
# Seeds: the intake fixtures and the regression inputs; new findings go to a
# scratch corpus so the seed folders stay as committed.
mkdir -p "$BUILD/corpus" "$BUILD/artifacts"
SEEDS=("$ROOT/fixtures/intake")
[ -d "$ROOT/fixtures/mime-regressions" ] && SEEDS+=("$ROOT/fixtures/mime-regressions")
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# SECONDS is split between the targets (forward, then the ones below).
SHARE=$(( SECONDS_TO_RUN / 4 > 5 ? SECONDS_TO_RUN / 4 : 5 ))
"$BUILD/forward_fuzz" "$BUILD/corpus" "${SEEDS[@]}" \
  -max_total_time="$SHARE" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$BUILD/artifacts/" -print_final_stats=1

# fuzz_target NAME MAX_LEN SEED_DIR...: its own scratch corpus, the shared
# artifacts folder (crash-*, named after the target's inputs).
fuzz_target() {
  local name=$1 max_len=$2
  shift 2
  local seeds=()
  for d in "$@"; do [ -e "$d" ] && seeds+=("$d"); done
  mkdir -p "$BUILD/corpus-$name"
  "$BUILD/$name" "$BUILD/corpus-$name" "${seeds[@]}" \
    -max_total_time="$SHARE" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$BUILD/artifacts/$name-" -print_final_stats=1
}
fuzz_target mime_parse_fuzz 262144 "$ROOT/fixtures/mime-regressions" "$ROOT/fixtures/intake" \
  "$ROOT/fixtures/support-inbox/cur" "$ROOT/fixtures/support-inbox/new"
fuzz_target mailbox_fuzz 65536 "$ROOT/fixtures/mbox" "$ROOT/fixtures/mime-regressions"
fuzz_target config_fuzz 16384 "$ROOT/fuzz/seeds/config"
