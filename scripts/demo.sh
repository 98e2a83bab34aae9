#!/usr/bin/env bash
# The main job on the bundled fixtures: replay the support inbox into a fresh
# embedded LMDB store and show the tickets it made.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DESKMAIL_BUILD_DIR:-$ROOT/build}
DATA=${DESKMAIL_DEMO_DATA:-$ROOT/demo-data}

bash "$ROOT/scripts/bootstrap.sh"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target deskmail

rm -rf "$DATA"
DM=("$BUILD/cli/deskmail" --data-dir "$DATA")
echo "== replaying fixtures/support-inbox (some inputs are broken on purpose: expect warnings)"
# Exit status 1 means some inputs were unreadable or unprocessable: the
# fixture has those on purpose, so the demo goes on.
"${DM[@]}" replay "$ROOT/fixtures/support-inbox" --account support || [ $? -eq 1 ]
echo
echo "== tickets"
"${DM[@]}" tickets list
echo
echo "== summary"
"${DM[@]}" tickets summary
echo
echo "== kept but not ticketed"
"${DM[@]}" tickets --ignored
"${DM[@]}" tickets --unprocessable
echo
echo "store: $DATA   try: ${DM[*]} tickets show 1"
echo "admin console: ${DM[*]} serve   then open http://127.0.0.1:8025/"
