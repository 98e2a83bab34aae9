#!/bin/bash
# bench/ingest.sh: IMAP ingest throughput (issue 3). Never run by ctest.
#
#   bench/ingest.sh [--build-dir DIR] [--count N] [--runs R] [--batch-counts "100 500"]
#                   [--dovecot-dir DIR] [--port-base BASE] [--no-build] [--keep]
#                   [--realistic] [--accounts N] [--clients "raw deskmail"] [--big-mb MB]
#
#   --build-dir     CMake build dir holding (or getting) deskmail and bench_raw_fetch
#                   (default: build). Only those two targets are built, -j2.
#   --count         messages in the INBOX (default 10000)
#   --runs          timed rounds; the median is reported (default 3)
#   --batch-counts  fetch_batch_max_count values tried for deskmail (default "100",
#                   the config default); each gets its own row
#   --dovecot-dir / --port-base   the private Dovecot (default /tmp/dm-bench-dc 13000,
#                   so IMAPS on 13993); started here, stopped at the end
#   --no-build      use the binaries as they are
#   --keep          keep the work dir (stores, mbsync Maildirs, logs) in /tmp
#   --realistic     the realistic support mailbox (fixtures/generate_mailbox.py
#                   --realistic: 60 % plain 2-8 KB, 25 % text+HTML 10-60 KB, 15 %
#                   with 1-3 attachments of 100 KB-2 MB; ~1.1 GB per 10,000)
#   --accounts N    also time one `deskmail run --once` over N accounts at once
#                   (N users, COUNT/N messages each; peak RssAnon reported)
#   --clients LIST  the single-account clients timed in each round, of "raw
#                   raw-pipe deskmail mbsync" (the default: all; mbsync means both
#                   fsync variants). "" skips the rounds (with --accounts/--big-mb).
#                   The ratios need raw and deskmail (and mbsync for its column).
#   --big-mb MB     also time `deskmail run --once` on a mailbox holding one message
#                   of about MB megabytes (a base64 attachment): peak RssAnon
# deskmail's peak anonymous memory (RssAnon, sampled from /proc every 50 ms;
# not RSS, which counts LMDB's mapped file pages) is reported per run.
#
# Needs root (Dovecot, chown to vmail), dovecot-imapd, isync (mbsync), python3.
# One round = three clients, each over implicit TLS to 127.0.0.1:
#   raw      bench_raw_fetch: one `UID FETCH 1:* (UID BODY.PEEK[])`, bodies discarded
#   deskmail `deskmail run --once` into an empty store (XOAUTH2, JWT from the HS256 key)
#   mbsync   isync pulling INBOX into an empty Maildir (LOGIN), its default FSync yes
#            (an fsync per message); mbsync-nofsync is the same with FSync no
#   raw-pipe bench_raw_fetch --mode pipeline: UID FETCH of 100 UIDs each, 4 in flight
#            (shown for reference; the ratios use the faster streaming "raw")
# mbsync connects to "localhost": isync 1.4 does not match IP addresses in the
# certificate's subjectAltName.
# An untimed raw pass first builds Dovecot's index and warms the page cache, so
# every timed client reads from memory. Times are process wall clock (connect
# to exit); "cpu" is the client's user+sys (Dovecot's own CPU is not in it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build COUNT=10000 RUNS=3 BATCHES="100" DC=/tmp/dm-bench-dc BASE=13000
BUILD_IT=1 KEEP=0 REALISTIC="" ACCOUNTS=0 CLIENTS="raw raw-pipe deskmail mbsync" BIG_MB=0
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) BUILD=$(realpath -m "$2"); shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --batch-counts) BATCHES=$2; shift 2 ;;
    --dovecot-dir) DC=$2; shift 2 ;;
    --port-base) BASE=$2; shift 2 ;;
    --no-build) BUILD_IT=0; shift ;;
    --keep) KEEP=1; shift ;;
    --realistic) REALISTIC=--realistic; shift ;;
    --accounts) ACCOUNTS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --big-mb) BIG_MB=$2; shift 2 ;;
    -h|--help) sed -n '2,42p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v mbsync >/dev/null || { echo "mbsync missing: apt-get install isync" >&2; exit 2; }

if [ "$BUILD_IT" = 1 ]; then
  [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" --target deskmail bench_raw_fetch -j2 >/dev/null
fi
DESKMAIL=$BUILD/cli/deskmail RAW=$BUILD/bench/bench_raw_fetch
for b in "$DESKMAIL" "$RAW"; do [ -x "$b" ] || { echo "missing $b" >&2; exit 2; }; done

WORK=$(mktemp -d /tmp/dm-bench-ingest.XXXXXX)
cleanup() {
  bash "$ROOT/tests/dovecot/stop.sh" "$DC" >/dev/null || true
  if [ "$KEEP" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
bash "$ROOT/tests/dovecot/start.sh" "$DC" "$BASE" | sed -n 1p
DC=$(realpath -m "$DC")
PORT=$((BASE + 993)) CERT=$DC/ssl/cert.pem USER_NAME=ingest-bench@example.com
python3 "$ROOT/bench/populate_inbox.py" "$DC" "$USER_NAME" "$COUNT" $REALISTIC
python3 "$ROOT/tests/dovecot/mint_token.py" --key-file "$DC/keys/default/HS256/default" \
  --user "$USER_NAME" --exp 86400 > "$WORK/token"

RAW_ARGS=(--host 127.0.0.1 --port "$PORT" --ca "$CERT" --user "$USER_NAME" --token-file "$WORK/token")
"$RAW" "${RAW_ARGS[@]}" > "$WORK/warmup.out"   # builds the index, warms the page cache
read -r n bytes _ < "$WORK/warmup.out"
[ "$n" = "$COUNT" ] || { echo "warm-up fetched $n of $COUNT" >&2; exit 1; }
echo "mailbox: $COUNT messages, $((bytes / 1000000)) MB as fetched; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

account() {  # $1 = name, $2 = user, $3 = fetch_batch_max_count
  cat <<EOF
[[account]]
name = "$1"
address = "$2"
host = "127.0.0.1"
port = $PORT
tls = "implicit"
ca_file = "$CERT"
username = "$2"
auth = "xoauth2"
access_token_file = "$WORK/token-$2"
folders = ["INBOX"]
fetch_batch_max_count = $3
EOF
}
config() {  # $1 = fetch_batch_max_count
  cat <<EOF
log_level = "warn"
[[account]]
name = "bench"
address = "$USER_NAME"
host = "127.0.0.1"
port = $PORT
tls = "implicit"
ca_file = "$CERT"
username = "$USER_NAME"
auth = "xoauth2"
access_token_file = "$WORK/token"
folders = ["INBOX"]
fetch_batch_max_count = $1
EOF
}
cat > "$WORK/mbsyncrc" <<EOF
IMAPAccount bench
Host localhost
Port $PORT
User $USER_NAME
Pass test-password
SSLType IMAPS
CertificateFile $CERT
AuthMechs LOGIN

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path $WORK/mbsync/
Inbox $WORK/mbsync/INBOX

Channel bench
Far :bench-far:
Near :bench-near:
Patterns INBOX
Sync Pull
Create Near
SyncState *
EOF

{ echo "FSync no"; cat "$WORK/mbsyncrc"; } > "$WORK/mbsyncrc-nofsync"

# timed NAME CMD...: runs CMD, appends "NAME wall cpu peak-anon-MB" to results.
# The peak of the client's RssAnon is sampled from /proc every 50 ms.
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  local tp=$! cp="" peak=0 a
  while kill -0 "$tp" 2>/dev/null; do
    [ -n "$cp" ] || cp=$(pgrep -P "$tp" | head -1 || true)
    if [ -n "$cp" ]; then
      a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$cp/status" 2>/dev/null || true)
      if [ -n "$a" ] && [ "$a" -gt "$peak" ]; then peak=$a; fi
    fi
    sleep 0.05
  done
  wait "$tp" || { echo "$name failed:" >&2; tail -5 "$WORK/$name.err" >&2; exit 1; }
  read -r wall user sys < "$WORK/time"
  awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v p="$peak" \
    'BEGIN { print n, w, u + s, p / 1024 }' >> "$WORK/results"
}

wants() { [[ " $CLIENTS " == *" $1 "* ]]; }
[ -n "$CLIENTS" ] || RUNS=0
for run in $(seq "$RUNS"); do
  if wants raw; then
    timed raw "$RAW" "${RAW_ARGS[@]}"
    read -r n _ < "$WORK/raw.out"; [ "$n" = "$COUNT" ] || { echo "raw fetched $n" >&2; exit 1; }
  fi
  if wants raw-pipe; then
    timed raw-pipe "$RAW" "${RAW_ARGS[@]}" --mode pipeline --batch 100 --depth 4
    read -r n _ < "$WORK/raw-pipe.out"; [ "$n" = "$COUNT" ] || { echo "raw-pipe fetched $n" >&2; exit 1; }
  fi
  wants deskmail || BATCHES=""
  for b in $BATCHES; do
    rm -rf "$WORK/store"; config "$b" > "$WORK/deskmail.toml"
    timed "deskmail-b$b" "$DESKMAIL" --config "$WORK/deskmail.toml" --data-dir "$WORK/store" run --once
    grep -q "^bench: $COUNT fetched" "$WORK/deskmail-b$b.out" ||
      { echo "deskmail did not fetch $COUNT:" >&2; cat "$WORK/deskmail-b$b.out" >&2; exit 1; }
  done
  wants mbsync && variants="mbsync mbsync-nofsync" || variants=""
  for variant in $variants; do
    rm -rf "$WORK/mbsync"; mkdir -p "$WORK/mbsync"
    timed "$variant" mbsync -c "$WORK/${variant/mbsync/mbsyncrc}" -q bench
    got=$(find "$WORK/mbsync/INBOX" -type f \( -path '*/cur/*' -o -path '*/new/*' \) | wc -l)
    [ "$got" = "$COUNT" ] || { echo "$variant pulled $got of $COUNT" >&2; exit 1; }
  done
  echo "round $run done (load $(cut -d' ' -f1 /proc/loadavg))"
done

if [ "$ACCOUNTS" -gt 0 ]; then
  # N accounts in one process, COUNT/N messages each, all ingesting at once.
  per=$((COUNT / ACCOUNTS))
  echo 'log_level = "warn"' > "$WORK/multi.toml"
  for i in $(seq "$ACCOUNTS"); do
    u="multi$i@example.com"
    python3 "$ROOT/bench/populate_inbox.py" "$DC" "$u" "$per" --seed "$i" $REALISTIC >/dev/null
    python3 "$ROOT/tests/dovecot/mint_token.py" --key-file "$DC/keys/default/HS256/default" \
      --user "$u" --exp 86400 > "$WORK/token-$u"
    account "m$i" "$u" 100 >> "$WORK/multi.toml"
  done
  rm -rf "$WORK/store"
  timed "deskmail-${ACCOUNTS}accounts" "$DESKMAIL" --config "$WORK/multi.toml" --data-dir "$WORK/store" run --once
  echo "$ACCOUNTS accounts x $per messages done"
fi

if [ "$BIG_MB" != 0 ]; then
  u="big@example.com"
  python3 "$ROOT/bench/populate_inbox.py" "$DC" "$u" 1 --big-mb "$BIG_MB"
  python3 "$ROOT/tests/dovecot/mint_token.py" --key-file "$DC/keys/default/HS256/default" \
    --user "$u" --exp 86400 > "$WORK/token-$u"
  { echo 'log_level = "warn"'; account big "$u" 100; } > "$WORK/big.toml"
  rm -rf "$WORK/store"
  timed "deskmail-one-${BIG_MB}MB-message" "$DESKMAIL" --config "$WORK/big.toml" --data-dir "$WORK/store" run --once
  grep -q "^big: 1 fetched" "$WORK/deskmail-one-${BIG_MB}MB-message.out" ||
    { echo "deskmail did not fetch the big message:" >&2; cat "$WORK/deskmail-one-${BIG_MB}MB-message.out" >&2; exit 1; }
fi

python3 - "$WORK/results" "$COUNT" "$RUNS" <<'EOF'
import statistics, sys
rows, anon = {}, {}
for line in open(sys.argv[1]):
    name, wall, cpu, peak = line.split(); rows.setdefault(name, []).append((float(wall), float(cpu)))
    anon[name] = max(anon.get(name, 0.0), float(peak))
count, runs = int(sys.argv[2]), sys.argv[3]
med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in rows.items()}
print(f"\nmedian of {runs} runs, {count} messages")
print(f"{'client':<22}{'wall s':>8}{'msg/s':>9}{'client cpu s':>14}{'peak anon MB':>14}   all runs (wall s)")
for k, (w, c) in med.items():
    print(f"{k:<22}{w:>8.2f}{count / w:>9.0f}{c:>14.2f}{anon[k]:>14.1f}   " + " ".join(f"{x:.2f}" for x, _ in rows[k]))
raw = med["raw"][0] if "raw" in med else None
mb = med["mbsync"][0] if "mbsync" in med else None
mbn = med["mbsync-nofsync"][0] if "mbsync-nofsync" in med else None
for k in med:
    if k.startswith("deskmail-b") and raw is not None:
        d = med[k][0]
        # Side by side: each round's deskmail against the same round's raw.
        per_round = [r[0] / dd[0] for r, dd in zip(rows["raw"], rows[k])]
        line = (f"{k}: {raw / d:.2f} x raw (goal >= 0.80; per round "
                + " ".join(f"{x:.2f}" for x in per_round) + ")")
        if mb is not None:
            line += f", {mb / d:.2f} x mbsync (goal > 1), {mbn / d:.2f} x mbsync without fsync"
        print(line)
EOF
