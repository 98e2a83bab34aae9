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
"$BUILD/forward_fuzz" "$BUILD/corpus" "${SEEDS[@]}" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$BUILD/artifacts/" -print_final_stats=1

# The IMAP response path (fuzz/imap_response_fuzz.cpp), seeded with server
# transcripts; a crash input goes to build-fuzz/artifacts/ -> copy it to
# fixtures/imap-responses/.
if [ -x "$BUILD/imap_response_fuzz" ]; then
  mkdir -p "$BUILD/corpus-imap"
  "$BUILD/imap_response_fuzz" "$BUILD/corpus-imap" "$ROOT/fixtures/imap-responses" \
    -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$BUILD/artifacts/imap-" -print_final_stats=1
fi
