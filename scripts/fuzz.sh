#!/usr/bin/env bash
# Builds fuzz/ (libFuzzer + ASan/UBSan, clang) in build-fuzz/ and runs each
# target for its share of SECONDS (default 60, split evenly):
#   forward_fuzz  mime::Parse + UnwrapForward, seeded from the intake fixtures
#                 and fixtures/mime-regressions/;
#   msg_fuzz      the Outlook .msg reader, seeded from fixtures/intake/msg/;
#   mime_parse_fuzz  mime::Parse alone; mailbox_fuzz  the mbox/Maildir readers;
#   config_fuzz   config::ParseConfig (deskmail.toml), seeded from fuzz/seeds/config/.
# Exits non-zero on a crash; the crashing input is left in
# build-fuzz/artifacts/TARGET/ -- copy a mail to fixtures/mime-regressions/NAME.eml
# (tests/mime/regressions_test.cpp keeps it) and a .msg to fixtures/intake/msg/.
set -euo pipefail
SECONDS_TO_RUN="${1:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build-fuzz"
CXX_BIN="$(command -v clang++ || command -v clang++-14)"
cmake -S "$ROOT/fuzz" -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$ROOT/fuzz/lsan.supp"  # third-party leaks, each explained there
TARGETS=(forward_fuzz msg_fuzz mime_parse_fuzz mailbox_fuzz config_fuzz)
[ -x "$BUILD/imap_response_fuzz" ] && TARGETS+=(imap_response_fuzz)
SHARE=$(( SECONDS_TO_RUN / ${#TARGETS[@]} ))
[ "$SHARE" -lt 1 ] && SHARE=1
for target in "${TARGETS[@]}"; do
  # New findings go to a scratch corpus so the seed folders stay as committed.
  mkdir -p "$BUILD/corpus/$target" "$BUILD/artifacts/$target"
  case "$target" in
    forward_fuzz)
      SEEDS=("$ROOT/fixtures/intake")  # read recursively: world/ and msg/ too
      [ -d "$ROOT/fixtures/mime-regressions" ] && SEEDS+=("$ROOT/fixtures/mime-regressions")
      MAX_LEN=65536 ;;
    msg_fuzz)
      SEEDS=("$ROOT/fixtures/intake/msg")
      MAX_LEN=262144 ;;
    mime_parse_fuzz)
      SEEDS=("$ROOT/fixtures/mime-regressions" "$ROOT/fixtures/intake" "$ROOT/fixtures/support-inbox")
      MAX_LEN=262144 ;;
    mailbox_fuzz)
      SEEDS=("$ROOT/fixtures/mbox" "$ROOT/fixtures/mime-regressions")
      MAX_LEN=65536 ;;
    config_fuzz)  # with its past findings (fuzz/regressions/config/), run again each time
      SEEDS=("$ROOT/fuzz/seeds/config" "$ROOT/fuzz/regressions/config")
      MAX_LEN=16384 ;;
    imap_response_fuzz)  # server transcripts; a crash goes to fixtures/imap-crashes/
      SEEDS=("$ROOT/fixtures/imap-responses")
      MAX_LEN=16384 ;;
  esac
  echo "== $target: ${SHARE}s"
  if [ "$target" = msg_fuzz ]; then
    # libgsf is built without frame pointers: LeakSanitizer needs the slow
    # unwinder to see the libgsf frames fuzz/lsan.supp names, and that is
    # ten times slower. So fuzz without leak checks, then run the whole
    # corpus once more with them.
    ASAN_OPTIONS="abort_on_error=1:detect_leaks=0" "$BUILD/$target" "$BUILD/corpus/$target" \
      "${SEEDS[@]}" -max_total_time="$SHARE" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$BUILD/artifacts/$target/" -print_final_stats=1
    echo "== $target: leak check over the corpus"
    ASAN_OPTIONS="${ASAN_OPTIONS}:fast_unwind_on_malloc=0" "$BUILD/$target" -runs=0 \
      -artifact_prefix="$BUILD/artifacts/$target/" "$BUILD/corpus/$target" "${SEEDS[@]}"
  else
    "$BUILD/$target" "$BUILD/corpus/$target" "${SEEDS[@]}" \
      -max_total_time="$SHARE" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$BUILD/artifacts/$target/" -print_final_stats=1
  fi
done
