#!/usr/bin/env bash
# Every test deskmail has: install what is missing, build with warnings as
# errors, start the real services the tests talk to (Dovecot on loopback),
# run ctest, stop the services.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DESKMAIL_BUILD_DIR:-$ROOT/build-test}
JOBS=${JOBS:-$(nproc)}

bash "$ROOT/scripts/bootstrap.sh"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESKMAIL_WERROR=ON >/dev/null
cmake --build "$BUILD" -j "$JOBS"

# A real Dovecot for the IMAP tests: its own directory, loopback high ports,
# a CA made at start-up. Stopped whatever happens.
DOVECOT_DIR=${DESKMAIL_TEST_DOVECOT_DIR:-/tmp/dm-test-dovecot}
DOVECOT_BASE=${DESKMAIL_TEST_DOVECOT_PORT_BASE:-10000}
if [ -x "$ROOT/tests/dovecot/start.sh" ]; then
  trap 'bash "$ROOT/tests/dovecot/stop.sh" "$DOVECOT_DIR" >/dev/null 2>&1 || true' EXIT
  bash "$ROOT/tests/dovecot/start.sh" "$DOVECOT_DIR" "$DOVECOT_BASE"
  export DESKMAIL_TEST_DOVECOT_DIR=$DOVECOT_DIR DESKMAIL_TEST_DOVECOT_PORT_BASE=$DOVECOT_BASE
fi

(cd "$BUILD" && ctest --output-on-failure -j "$JOBS" --timeout 600)

# Network faults through a proxy, and many accounts on one run
# (tests/reliability/proxy_test.py, many_accounts.py): CI-sized, full with --long.
NET_LONG=""
case " $* " in *" --long "*) NET_LONG=--long ;; esac
python3 "$ROOT/tests/reliability/proxy_test.py" --deskmail "$BUILD/cli/deskmail" $NET_LONG
python3 "$ROOT/tests/reliability/many_accounts.py" --deskmail "$BUILD/cli/deskmail" $NET_LONG

# Bounded fuzzing of parse + forward unwrap (clang, libFuzzer, ASan/UBSan).
# A crash fails the run; its input is left in build-fuzz/artifacts/.
FUZZ_SECONDS=${DESKMAIL_FUZZ_SECONDS:-60}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  bash "$ROOT/scripts/fuzz.sh" "$FUZZ_SECONDS"
fi
