#!/bin/bash
# Start the project's self-contained Dovecot IMAP test server (root required).
#   tests/dovecot/start.sh [DIR] [PORT_BASE]     defaults: /tmp/dm-dovecot 11000
# IMAP+STARTTLS on 127.0.0.1:PORT_BASE+143, IMAPS on PORT_BASE+993.
# Keep DIR short: Dovecot's unix sockets live in DIR/run (107-byte path limit).
#
# Writes (reused when present, so tokens and mail survive a restart):
#   DIR/ssl/cert.pem       self-signed CN=localhost, SAN DNS:localhost,IP:127.0.0.1
#                          (the server cert; clients use it as their CA file)
#   DIR/ssl/wrong-ca.pem   an unrelated self-signed CA, for negative TLS tests
#   DIR/keys/default/HS256/default   base64 HMAC key for HS256 JWT bearer tokens
# Then tests read DESKMAIL_TEST_DOVECOT_DIR=DIR DESKMAIL_TEST_DOVECOT_PORT_BASE=PORT_BASE.
# Any user name logs in: XOAUTH2 with a JWT whose sub is the user, or
# LOGIN/PLAIN with $PLAIN_PASSWORD (default test-password).
# Verified recipe and token rules: /work/shared/dovecot-xoauth2/README.md.
set -euo pipefail
DIR=$(realpath -m "${1:-/tmp/dm-dovecot}")
BASE=${2:-11000}
IMAP_PORT=$((BASE + 143)) IMAPS_PORT=$((BASE + 993))
HERE=$(cd "$(dirname "$0")" && pwd)
MAIL_USER=${MAIL_USER:-vmail}
PLAIN_PASSWORD=${PLAIN_PASSWORD:-test-password}
CONF=$DIR/dovecot.conf

if [ ${#DIR} -gt 60 ]; then
  echo "DIR '$DIR' is too long for Dovecot's unix sockets; use e.g. /tmp/dm-dc" >&2; exit 2
fi
for bin in /usr/sbin/dovecot /usr/lib/dovecot/imap /usr/bin/openssl; do
  [ -x "$bin" ] || { echo "missing $bin: apt-get install dovecot-imapd openssl" >&2; exit 2; }
done
id "$MAIL_USER" >/dev/null 2>&1 ||
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$MAIL_USER"

# Directory, HS256 key (readable by the 'dovecot' user that runs auth), certs.
mkdir -p "$DIR"/run "$DIR"/state "$DIR"/mail "$DIR"/ssl "$DIR"/keys/default/HS256
chmod 755 "$DIR"
chown "$MAIL_USER:$MAIL_USER" "$DIR"/mail
KEY=$DIR/keys/default/HS256/default
if [ ! -s "$KEY" ]; then
  openssl rand -base64 32 | tr -d '\n' > "$KEY"
fi
chown -R root:dovecot "$DIR"/keys
chmod 750 "$DIR"/keys "$DIR"/keys/default "$DIR"/keys/default/HS256
chmod 640 "$KEY"
if [ ! -s "$DIR/ssl/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$DIR/ssl/key.pem" -out "$DIR/ssl/cert.pem" 2>/dev/null
  chmod 600 "$DIR/ssl/key.pem"
fi
# Same subject and SAN as the server cert but a different key: a client that
# trusts only this must fail verification, not hostname matching.
if [ ! -s "$DIR/ssl/wrong-ca.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$DIR/ssl/wrong-ca.key" -out "$DIR/ssl/wrong-ca.pem" 2>/dev/null
  chmod 600 "$DIR/ssl/wrong-ca.key"
fi

sed -e "s|@DIR@|$DIR|g" -e "s|@IMAP_PORT@|$IMAP_PORT|g" -e "s|@IMAPS_PORT@|$IMAPS_PORT|g" \
    -e "s|@INSTANCE@|dovecot-test-$BASE|g" -e "s|@MAIL_USER@|$MAIL_USER|g" \
    -e "s|@PLAIN_PASSWORD@|$PLAIN_PASSWORD|g" "$HERE/dovecot.conf.template" > "$CONF"
cat > "$DIR/dovecot-oauth2.conf.ext" <<EOT
introspection_mode = local
# key lookup: shared/<azp|default>/<ALG>/<kid|default> -> $DIR/keys/default/HS256/default
local_validation_key_dict = fs:posix:prefix=$DIR/keys/
username_attribute = sub
EOT

# Start, or reload if this DIR's master is alive.
PID=$(cat "$DIR/run/master.pid" 2>/dev/null || true)
if [ -n "$PID" ] && grep -qaF -- "$CONF" "/proc/$PID/cmdline" 2>/dev/null; then
  doveadm -c "$CONF" reload
  echo "already running (pid $PID), config reloaded"
else
  # The daemon must not hold the caller's stdout, or a piped caller waits forever.
  dovecot -c "$CONF" </dev/null >>"$DIR/dovecot.start.log" 2>&1
fi
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$IMAPS_PORT) 2>/dev/null &&
    (exec 3<>/dev/tcp/127.0.0.1/$IMAP_PORT) 2>/dev/null && break
  sleep 0.1
done
(exec 3<>/dev/tcp/127.0.0.1/$IMAP_PORT) 2>/dev/null ||
  { echo "dovecot did not come up; see $DIR/dovecot.log" >&2; tail -5 "$DIR/dovecot.log" >&2; exit 1; }
echo "dovecot up: pid $(cat "$DIR/run/master.pid") imap=127.0.0.1:$IMAP_PORT imaps=127.0.0.1:$IMAPS_PORT"
echo "  export DESKMAIL_TEST_DOVECOT_DIR=$DIR DESKMAIL_TEST_DOVECOT_PORT_BASE=$BASE"
