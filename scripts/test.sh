#!/usr/bin/env bash
# Every test deskmail has: install what is missing, build with warnings as
# errors, start the real services the tests talk to (Dovecot on loopback),
# run ctest, the reliability harness, the sanitizer suite and bounded
# fuzzing, stop the services.
#
#   scripts/test.sh              CI (.ci/run): all of the below, CI-sized
#   scripts/test.sh --long       the same with the full reliability harness
#   scripts/test.sh --sanitize   only: the whole suite under ASan+UBSan
#   scripts/test.sh --tsan       only: the pipeline and poller tests under TSan
#
# A service the run is meant to start (Dovecot) that is missing or does not
# start fails the run: tests that need it are never quietly skipped here.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DESKMAIL_BUILD_DIR:-$ROOT/build-test}
JOBS=${JOBS:-$(nproc)}

MODE=ci
LONG=0
for arg in "$@"; do
  case "$arg" in
    --long) LONG=1 ;;
    --sanitize) MODE=sanitize ;;
    --tsan) MODE=tsan ;;
    -h | --help)
      sed -n '2,13p' "$0"
      exit 0
      ;;
    *)
      echo "scripts/test.sh: unknown argument $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

bash "$ROOT/scripts/bootstrap.sh"

LAUNCHER=()
if command -v ccache >/dev/null; then
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

# configure DIR [extra cmake args...]
configure() {
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESKMAIL_WERROR=ON \
    "${LAUNCHER[@]}" "$@" >/dev/null
}

# A real Dovecot for the IMAP tests: its own directory, loopback high ports,
# a CA made at start-up. Stopped whatever happens. Required: a missing or
# failing Dovecot fails the run.
DOVECOT_DIR=${DESKMAIL_TEST_DOVECOT_DIR:-/tmp/dm-test-dovecot}
DOVECOT_BASE=${DESKMAIL_TEST_DOVECOT_PORT_BASE:-10000}
start_dovecot() {
  if [ ! -f "$ROOT/tests/dovecot/start.sh" ]; then
    echo "scripts/test.sh: tests/dovecot/start.sh is missing: cannot start Dovecot" >&2
    exit 1
  fi
  trap 'bash "$ROOT/tests/dovecot/stop.sh" "$DOVECOT_DIR" >/dev/null 2>&1 || true' EXIT
  if ! bash "$ROOT/tests/dovecot/start.sh" "$DOVECOT_DIR" "$DOVECOT_BASE"; then
    echo "scripts/test.sh: Dovecot did not start (tests/dovecot/start.sh $DOVECOT_DIR $DOVECOT_BASE)" >&2
    exit 1
  fi
  export DESKMAIL_TEST_DOVECOT_DIR=$DOVECOT_DIR DESKMAIL_TEST_DOVECOT_PORT_BASE=$DOVECOT_BASE
  # The Dovecot tests fail (instead of skipping) if they cannot find it.
  export DESKMAIL_REQUIRE_DOVECOT=1
}

# ASan + UBSan: every error aborts the test that met it.
# -Wno-maybe-uninitialized: GCC 12 with ASan reports false positives inside
# libstdc++'s <regex> (pulled in by Catch2), which -Werror would turn fatal.
SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wno-maybe-uninitialized"
# Leak reports in third-party code are suppressed by name (fuzz/lsan.supp, each
# explained there); libgsf has no frame pointers, so LeakSanitizer needs the
# slow unwinder to see those names: the MIME suite (which reads corrupt .msg
# files through libgsf) runs with it. Everything else keeps the fast one: the
# slow unwinder makes OpenSSL's malloc-heavy TLS so slow that the oauth and
# imap tests' loopback servers time out (11 of 29 oauth tests on a loaded host).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/fuzz/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# sanitize_suite TARGETS CTEST_REGEX: builds TARGETS in build-asan and runs them.
sanitize_suite() {
  local targets=$1 regex=$2
  local dir=${DESKMAIL_ASAN_BUILD_DIR:-$ROOT/build-asan}
  step "ASan+UBSan build ($targets)"
  configure "$dir" -DCMAKE_CXX_FLAGS="$SAN_FLAGS" -DCMAKE_C_FLAGS="$SAN_FLAGS" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$JOBS" --target $targets
  step "ASan+UBSan ctest ($regex)"
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" --timeout 900 -R "$regex" -E '^mime: ?')
  case " $targets " in
    *" mime_test "* | *" all "*)
      step "ASan+UBSan ctest (the MIME suite, slow unwinder)"
      (cd "$dir" && ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" \
        ctest --output-on-failure -j "$JOBS" --timeout 900 -R '^mime: ?')
      ;;
  esac
}

tsan_suite() {
  local dir=${DESKMAIL_TSAN_BUILD_DIR:-$ROOT/build-tsan}
  step "TSan build (engine_test)"
  # -Wno-tsan: GCC 12 warns wherever an atomic_thread_fence (which TSan does
  # not model) survives optimisation, in our code or an inlined header such as
  # libstdc++'s shared_ptr; -Werror would turn that into a failed build.
  configure "$dir" -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread"
  cmake --build "$dir" -j "$JOBS" --target engine_test deskmail
  step "TSan: engine tests (the pipeline, and the poller inside a TSan-built deskmail run)"
  # G_SLICE=always-malloc: GLib 2.74's slice allocator (GMime's nodes) hands
  # blocks between threads through per-thread magazines synchronised by
  # futexes TSan cannot see (GLib is not instrumented); with malloc TSan
  # sees every allocation. GLib 2.76 dropped the slice allocator for malloc.
  # fuzz/tsan.supp: races inside uninstrumented GLib/GMime, glibc's loader and
  # OpenSSL, each explained there. history_size=7: the longest access history,
  # so the earlier access's stack (inside GLib, which the suppression names)
  # is restored instead of "failed to restore the stack".
  (cd "$dir" && G_SLICE=always-malloc \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=7 suppressions=$ROOT/fuzz/tsan.supp" \
    ctest --output-on-failure -j "$JOBS" --timeout 900 -R '^engine: ?')
}

case "$MODE" in
  sanitize)
    start_dovecot
    sanitize_suite all '.'
    exit 0
    ;;
  tsan)
    start_dovecot
    tsan_suite
    exit 0
    ;;
esac

step "build"
configure "$BUILD"
cmake --build "$BUILD" -j "$JOBS"

start_dovecot

step "ctest"
(cd "$BUILD" && ctest --output-on-failure -j "$JOBS" --timeout 600)

# The reliability harness (tests/reliability/): kill loops, full disk, map
# full, reader slots, hostile input. CI-sized unless --long.
step "reliability harness"
REL_ARGS=(--bin "$BUILD/cli/deskmail" --work "$BUILD/reliability")
[ "$LONG" = 1 ] && REL_ARGS+=(--long)
python3 "$ROOT/tests/reliability/run.py" "${REL_ARGS[@]}"

# Network faults through a proxy, and many accounts on one run
# (tests/reliability/proxy_test.py, many_accounts.py): CI-sized, full with --long.
step "network faults and many accounts"
NET_LONG=()
[ "$LONG" = 1 ] && NET_LONG=(--long)
python3 "$ROOT/tests/reliability/proxy_test.py" --deskmail "$BUILD/cli/deskmail" "${NET_LONG[@]}"
python3 "$ROOT/tests/reliability/many_accounts.py" --deskmail "$BUILD/cli/deskmail" "${NET_LONG[@]}"

# ASan+UBSan in CI: the store, MIME, config and recovery suites (the
# parsers and the code that writes the store). The whole suite doubles the
# build on 2 cores and does not fit CI's 30 minutes; --sanitize runs it all.
if [ "${DESKMAIL_CI_SANITIZE:-1}" = 1 ]; then
  sanitize_suite "store_test mime_test config_test recovery_test" \
    '^(store|mime|config|recovery): ?'
fi

# Bounded fuzzing of every target (clang, libFuzzer, ASan/UBSan).
# A crash fails the run; its input is left in build-fuzz/artifacts/.
FUZZ_SECONDS=${DESKMAIL_FUZZ_SECONDS:-60}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  step "fuzz ($FUZZ_SECONDS s)"
  bash "$ROOT/scripts/fuzz.sh" "$FUZZ_SECONDS"
fi
