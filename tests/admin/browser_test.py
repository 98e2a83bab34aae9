#!/usr/bin/env python3
"""The admin console in real Chromium (issue 12's "Done means").

  browser_test.py DESKMAIL_BIN SCREENSHOT_DIR

Needs the loopback Dovecot (DESKMAIL_TEST_DOVECOT_DIR / _PORT_BASE; exits 77,
ctest's SKIP, without it), Debian's chromium + chromium-driver and
python3-selenium. Real parts: `deskmail run` (pollers + console in one
process) against the real Dovecot, the console's pages in headless Chromium,
and a loopback identity provider (tests/admin/idp.py) standing in for
Microsoft's, the one part that cannot run here.

Story: alpha is expiring (signed in 82 days ago, via DESKMAIL_NOW), bravo is
expired (its refresh token revoked: outage open) while 3 customer mails
arrive in its mailbox. The admin loads /, sees both banners, clicks "here",
lands on Support Emails filtered to the expiring account, clicks Edit, then
Reauthenticate, signs in at the provider as the WRONG user and is refused
(alpha still expiring), then as the right user: alpha is active with a
deadline 90 days out. Then bravo is reauthenticated: the backfill brings in
the 3 mails and the timeline shows the outage with its recovered count.
Every page and API answer is grepped for the provider's issued secrets.
"""
import datetime as dt
import imaplib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import idp as idp_mod  # noqa: E402

DESKMAIL, SHOTS = sys.argv[1], sys.argv[2]
DOVE_DIR = os.environ.get("DESKMAIL_TEST_DOVECOT_DIR")
DOVE_BASE = os.environ.get("DESKMAIL_TEST_DOVECOT_PORT_BASE")
if not DOVE_DIR or not DOVE_BASE:
    print("SKIP: no loopback Dovecot (DESKMAIL_TEST_DOVECOT_DIR)")
    sys.exit(77)
for tool in ("chromium", "chromedriver"):
    if not shutil.which(tool):
        print(f"SKIP: {tool} not installed")
        sys.exit(77)
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

IMAPS = int(DOVE_BASE) + 993
KEY = open(os.path.join(DOVE_DIR, "keys/default/HS256/default")).read().strip()
DAY = 86400
os.makedirs(SHOTS, exist_ok=True)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def rfc3339(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def append(user, subject, date_hdr, internal):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL("127.0.0.1", IMAPS, ssl_context=ctx)
    m.login(user, "test-password")
    msg = (f"From: Customer <customer@example.org>\r\nTo: {user}\r\nSubject: {subject}\r\n"
           f"Date: {email_date(date_hdr)}\r\nMessage-ID: <{subject.replace(' ', '.')}."
           f"{os.getpid()}@example.org>\r\n\r\nHello, please help with {subject}.\r\n")
    m.append("INBOX", None, imaplib.Time2Internaldate(internal), msg.encode())
    m.logout()


def email_date(t):
    from email.utils import formatdate
    return formatdate(t, usegmt=True)


now = int(time.time())
tmp = tempfile.mkdtemp(prefix="deskmail-console-")
stamp = f"{os.getpid()}-{now}"
A, B = f"alpha-{stamp}@example.com", f"bravo-{stamp}@example.com"
WRONG = f"intruder-{stamp}@example.com"
idp = idp_mod.Idp(KEY)
port = free_port()
cfg_path = os.path.join(tmp, "deskmail.toml")
account = lambda name, user: f"""
[[account]]
name = "{name}"
address = "{user}"
host = "127.0.0.1"
port = {IMAPS}
tls = "implicit"
ca_file = "{DOVE_DIR}/ssl/cert.pem"
folders = ["INBOX"]
poll_interval_s = 5
auth = "xoauth2"
provider = "custom"
client_id = "{idp.client_id}"
token_endpoint = "{idp.base}/token"
device_code_endpoint = "{idp.base}/devicecode"
authorize_endpoint = "{idp.base}/authorize"
"""
with open(cfg_path, "w") as f:
    f.write(f'data_dir = "{tmp}/data"\nexpired_retry_hours = 6\n'
            f'[admin]\nbind = "127.0.0.1"\nport = {port}\n'
            + account("alpha", A) + account("bravo", B))


def cli(args, at=None, check_rc=True):
    env = dict(os.environ)
    if at is not None:
        env["DESKMAIL_NOW"] = rfc3339(at)
    r = subprocess.run([DESKMAIL, "--config", cfg_path] + args, env=env, capture_output=True,
                       text=True, timeout=120)
    if check_rc and r.returncode != 0:
        print(r.stdout, r.stderr)
        raise SystemExit(f"deskmail {' '.join(args)} failed: {r.returncode}")
    return r


# ---- the store's history, through the CLI ----
idp.device_user = A
cli(["reauth", "alpha"], at=now - 82 * DAY)
idp.device_user = B
cli(["reauth", "bravo"], at=now - 30 * DAY)
for u in (A, B):
    for i in range(2):
        append(u, f"early {i}", now - 3 * DAY, now - 3 * DAY)
cli(["run", "--once"], at=now - 2 * DAY)
idp.revoke(B)
r = cli(["run", "--once"], at=now - 1 * DAY, check_rc=False)
check("outage #1 opened" in r.stderr, "bravo's revoked token opens outage #1")
# Mail that ARRIVES during the outage, though its Date: header says it was
# written before the outage began: recovered is counted by arrival.
for i in range(3):
    append(B, f"missed {i}", now - 2 * DAY - 3600, now - DAY + 3600 * (i + 1))

# ---- deskmail run: pollers + console ----
log_path = os.path.join(SHOTS, "deskmail-run.log")
log = open(log_path, "w")
run = subprocess.Popen([DESKMAIL, "--config", cfg_path, "run"], stdout=log, stderr=log)
base = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.1)

opts = webdriver.ChromeOptions()
opts.binary_location = shutil.which("chromium")
profile = tempfile.mkdtemp(prefix="chromium-")
for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--window-size=1200,1000"):
    opts.add_argument(flag)
driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
driver.set_page_load_timeout(60)
driver.implicitly_wait(10)
pages = {}


def shot(name):
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))
    pages[name] = driver.page_source


def sign_in(user):
    for _ in range(100):  # the click's navigation may still be under way
        if "/authorize" in driver.current_url:
            break
        time.sleep(0.1)
    check("/authorize" in driver.current_url, "at the identity provider's sign-in page")
    u = driver.find_element(By.ID, "username")
    check(u.get_attribute("value") == A or u.get_attribute("value") == B,
          "login_hint prefills the support address")
    u.clear()
    u.send_keys(user)
    driver.find_element(By.ID, "password").send_keys(idp_mod.PASSWORD)
    driver.find_element(By.ID, "signin").click()
    # The provider redirects to /oauth/callback, which hands on to /oauth/complete.
    for _ in range(100):
        if "/oauth/complete" in driver.current_url and driver.execute_script(
                "return document.readyState") == "complete":
            break
        time.sleep(0.1)


try:
    driver.get(base + "/")
    body = driver.find_element(By.TAG_NAME, "body").text
    check("Alert: Some of your support email IMAP refresh tokens will expire within 10 days. "
          "Re-authenticate them here to avoid service interruption. Learn more here." in body,
          "the alert banner, word for word")
    check("Expired: support email " + B in body, "the red banner names the expired account")
    check(rfc3339(now - 2 * DAY)[:13] in body, "the red banner gives the outage start")
    shot("01-dashboard")

    driver.find_element(By.LINK_TEXT, "here").click()
    check(driver.current_url.endswith("/emails?state=expiring"), "'here' opens Support Emails")
    rows = driver.find_elements(By.CSS_SELECTOR, "#emails tbody tr")
    check(len(rows) == 1 and rows[0].get_attribute("data-account") == "alpha",
          "filtered to the affected (expiring) account")
    shot("02-support-emails")

    rows[0].find_element(By.LINK_TEXT, "Edit").click()
    check(driver.current_url.endswith("/emails/alpha"), "Edit opens alpha's page")
    check(driver.find_element(By.ID, "state").text == "expiring", "alpha is expiring")
    shot("03-edit-alpha")

    driver.find_element(By.ID, "reauth").click()
    shot("04-provider-sign-in")
    sign_in(WRONG)
    refusal = driver.find_element(By.ID, "refusal").text
    check(refusal == f"Signed in as {WRONG}, but this support email is {A} \u2014 sign in with "
                     f"{A}'s account.", "the wrong identity is refused, word for word")
    check(driver.find_element(By.ID, "state").text == "expiring", "alpha still expiring")
    shot("05-wrong-user-refused")

    driver.find_element(By.ID, "reauth").click()
    sign_in(A)
    check(driver.find_element(By.ID, "state").text == "active", "alpha is active")
    want = rfc3339(int(time.time()) + 90 * DAY)[:10]
    check(driver.find_element(By.ID, "deadline").text.startswith(want),
          f"the deadline is 90 days out ({want})")
    shot("06-alpha-active")

    # bravo: expired, reauthenticated, backfilled.
    driver.get(base + "/emails/bravo")
    check(driver.find_element(By.ID, "state").text == "expired", "bravo is expired")
    driver.find_element(By.ID, "reauth").click()
    sign_in(B)
    check("Outage #1 is closed" in driver.find_element(By.TAG_NAME, "body").text,
          "bravo's outage is closed")
    shot("07-bravo-reauthenticated")
    ok = False
    for _ in range(60):
        driver.get(base + "/emails/bravo")
        cells = driver.find_elements(By.CSS_SELECTOR, "#outages .recovered-backfill")
        if cells and cells[0].text == "3" and driver.find_element(By.ID, "state").text == "active":
            ok = True
            break
        time.sleep(1)
    check(ok, "the backfill recovered the 3 mails that arrived during the outage")
    svg = driver.find_element(By.CSS_SELECTOR, "svg.timeline").get_attribute("outerHTML")
    check("Outage #1: 3 recovered (3 backfill, 0 forwarded)" in svg,
          "the timeline labels the outage window with its recovered count")
    shot("08-bravo-timeline")

    driver.set_window_size(375, 900)
    driver.get(base + "/emails")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check(width <= 375, f"Support Emails fits 375 px (scrollWidth {width})")
    shot("09-emails-375px")
    driver.set_window_size(1200, 1000)

    # The API gives what `deskmail accounts --json` gives.
    api = json.load(urllib.request.urlopen(base + "/api/v1/accounts"))
    check([a["state"] for a in api["accounts"]] == ["active", "active"],
          "the API sees both accounts active")
    cli_json = json.loads(cli(["accounts", "--json"]).stdout)
    check(sorted(api["accounts"][0].keys()) == sorted(cli_json["accounts"][0].keys()),
          "the API's account shape is the CLI's")
    tickets = json.load(urllib.request.urlopen(base + "/api/v1/tickets"))
    missed = [t for t in tickets["tickets"] if t["subject"].startswith("missed ")]
    check(len(missed) == 3 and all(t["outage_id"] == 1 for t in missed),
          "the 3 recovered tickets are tagged with the outage")

    # No page, API answer or log line holds a token the provider issued.
    answers = dict(pages)
    for path in ("/", "/emails", "/emails/alpha", "/emails/bravo", "/tickets", "/intake",
                 "/help", "/api/v1/accounts", "/api/v1/accounts/bravo", "/api/v1/dashboard",
                 "/api/v1/tickets", "/api/v1/intake", "/api/v1/events?since=0", "/metrics"):
        answers[path] = urllib.request.urlopen(base + path).read().decode()
    log.flush()
    answers["deskmail run log"] = open(log_path).read()
    issued = idp.issued()
    check(len(issued) > 5, f"the provider issued secrets to look for ({len(issued)})")
    leaks = [(name, s[:12]) for name, text in answers.items() for s in issued if s in text]
    check(not leaks, f"no answer contains an issued token or code {leaks[:3]}")
finally:
    driver.quit()
    run.terminate()
    try:
        run.wait(timeout=20)
    except subprocess.TimeoutExpired:
        run.kill()
    idp.stop()
    shutil.rmtree(profile, ignore_errors=True)
    if not failures:
        shutil.rmtree(tmp, ignore_errors=True)

print(f"screenshots in {SHOTS}")
if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("browser test passed")
