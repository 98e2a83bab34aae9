#!/usr/bin/env python3
"""The console's security and formats, against a real `deskmail serve`.

  console_test.py DESKMAIL_BIN

Checks: an account name and a subject holding <script> come out escaped; a
POST without or with a wrong CSRF token is refused; an authorization answer
replayed, or brought back by another browser session, is refused; bound off
loopback without a password the console refuses to start; /metrics passes
`promtool check metrics`; responses carry a Content-Security-Policy and the
session cookie is HttpOnly + SameSite=Strict. The identity provider is the
loopback one of tests/admin/idp.py (Microsoft's cannot run here).
"""
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import idp as idp_mod  # noqa: E402

DESKMAIL = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def client():
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    return op


def get(op, url, data=None):
    try:
        r = op.open(url, data=urllib.parse.urlencode(data).encode() if data is not None else None,
                    timeout=30)
        return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


tmp = tempfile.mkdtemp(prefix="deskmail-console-test-")
idp = idp_mod.Idp("c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=")
EVIL = "evil<script>alert(1)</script>"
USER = "evil-box@example.com"
port = free_port()
cfg = os.path.join(tmp, "deskmail.toml")


def write_config(bind="127.0.0.1", extra=""):
    with open(cfg, "w") as f:
        f.write(f'''data_dir = "{tmp}/data"
[admin]
bind = "{bind}"
port = {port}
{extra}
[[account]]
name = "{EVIL}"
address = "{USER}"
host = "127.0.0.1"
auth = "xoauth2"
provider = "custom"
client_id = "{idp.client_id}"
token_endpoint = "{idp.base}/token"
device_code_endpoint = "{idp.base}/devicecode"
authorize_endpoint = "{idp.base}/authorize"
''')


write_config()
msg = os.path.join(tmp, "evil.eml")
with open(msg, "w") as f:
    f.write("From: Mallory <m@example.org>\r\nTo: evil-box@example.com\r\n"
            "Subject: <script>alert('subject')</script> help\r\nMessage-ID: <x1@example.org>\r\n"
            "Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\n<script>alert('body')</script>\r\n")
r = subprocess.run([DESKMAIL, "--config", cfg, "replay", msg, "--account", EVIL],
                   capture_output=True, text=True)
check(r.returncode == 0, "replay of a message into the store " + r.stderr[-200:])

# Off loopback without a password: refused before listening.
write_config(bind="0.0.0.0")
r = subprocess.run([DESKMAIL, "--config", cfg, "serve"], capture_output=True, text=True,
                   timeout=30)
check(r.returncode == 2 and "off loopback, without a password" in r.stderr,
      "bound off loopback without a password, serve refuses to start")
write_config()

srv = subprocess.Popen([DESKMAIL, "--config", cfg, "serve"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
base = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
try:
    op = client()
    status, html, headers = get(op, base + "/emails")
    check(status == 200, "GET /emails")
    csp = headers.get("Content-Security-Policy", "")
    check("default-src 'none'" in csp, "responses carry a Content-Security-Policy")
    cookie = headers.get("Set-Cookie", "")
    check("HttpOnly" in cookie and "SameSite=Strict" in cookie, "session cookie HttpOnly+Strict")
    everything = html
    for path in ("/", "/emails/" + urllib.parse.quote(EVIL, safe=""), "/tickets", "/tickets/1"):
        s, body, _ = get(op, base + path)
        check(s == 200, "GET " + path)
        everything += body
    check("<script>" not in everything, "no <script> comes out unescaped")
    check("evil&lt;script&gt;" in everything, "the account name is escaped")
    check("&lt;script&gt;alert(&#39;subject&#39;)" in everything
          or "&lt;script&gt;alert(&apos;subject&apos;)" in everything
          or "&lt;script&gt;alert('subject')" in everything, "the subject is escaped")

    edit = base + "/emails/" + urllib.parse.quote(EVIL, safe="")
    reauth = edit + "/reauth"
    csrf = re.search(r'name="csrf" value="([^"]+)"', get(op, edit)[1]).group(1)
    s, _, _ = get(op, reauth, {})
    check(s == 403, f"POST without a CSRF token refused ({s})")
    s, _, _ = get(op, reauth, {"csrf": "wrong" + csrf[5:]})
    check(s == 403, f"POST with a wrong CSRF token refused ({s})")

    def authorize(session):
        s, _, h = get(session, reauth, {"csrf": csrf_of(session)})
        assert s == 303, s
        loc = h["Location"]
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(loc).query))
        check(q.get("code_challenge_method") == "S256" and len(q.get("code_challenge", "")) == 43,
              "PKCE S256 challenge sent")
        check(q.get("login_hint") == USER, "login_hint is the account's address")
        form = dict(q, username=USER, password=idp_mod.PASSWORD)
        s, _, h = get(client(), idp.base + "/authorize", form)
        assert s == 302, s
        cb = urllib.parse.urlparse(h["Location"])
        s, body, _ = get(session, base + cb.path + "?" + cb.query)
        nxt = re.search(r'url=([^"]+)"', body).group(1).replace("&amp;", "&").replace("&#x2F;", "/")
        return base + nxt

    def csrf_of(session):
        _, page, _ = get(session, edit)
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    done = authorize(op)
    s, body, _ = get(op, done)
    check(s == 200 and 'id="success"' in body, f"the right user's sign-in succeeds ({s})")
    s, body, _ = get(op, done)
    check(s == 400 and "already used" in body, f"a replayed state is refused ({s})")
    # Another browser session brings back a state it did not start.
    other = client()
    done = authorize(op)
    s, body, _ = get(other, done)
    check(s == 400, f"a state from another session is refused ({s})")

    metrics = urllib.request.urlopen(base + "/metrics").read().decode()
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=metrics, capture_output=True,
                           text=True)
        check(p.returncode == 0, "promtool check metrics: " + (p.stdout + p.stderr).strip()[:300])
    else:
        check(False, "promtool is installed (Debian package prometheus)")
    for m in ("deskmail_messages_fetched_total", "deskmail_reauth_deadline_seconds",
              "deskmail_account_state", "deskmail_outage_open", "deskmail_fetch_batch_seconds_bucket",
              "deskmail_intake_decisions_total", "deskmail_store_map_size_bytes"):
        check(m in metrics, "metric " + m)
    leaks = [t[:10] for t in idp.issued() if t in metrics or t in everything]
    check(not leaks, "no issued token in answers")
finally:
    srv.terminate()
    out, err = srv.communicate(timeout=20)
    leaks = [t[:10] for t in idp.issued() if t in out or t in err]
    check(not leaks, "no issued token in the log")
    idp.stop()
    shutil.rmtree(tmp, ignore_errors=True)

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("console test passed")
