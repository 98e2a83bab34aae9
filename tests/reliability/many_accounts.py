#!/usr/bin/env python3
"""Many accounts served by one `deskmail run` against the loopback Dovecot.

Starts `deskmail run` with 1 account (the baseline) and then with N accounts
(Dovecot users with the shared test password, each its own INBOX), waits
until every account is idling, then reports and checks:
  - idle CPU over 10 s (utime + stime from /proc) -- near zero;
  - RssAnon and thread count, and their growth per account over the
    1-account baseline -- at most 256 KB of anonymous memory per account;
  - new mail in random accounts becomes a ticket within 2 s (IDLE).
With --long N defaults to 200 (Dovecot's imap-login process_limit is 100,
so the login gate's bound matters), else 20.

Usage: many_accounts.py --deskmail BIN [--long] [--accounts N]
Needs DESKMAIL_TEST_DOVECOT_DIR / DESKMAIL_TEST_DOVECOT_PORT_BASE; exits 77
(skipped) without them.
"""
import argparse
import imaplib
import json
import os
import random
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

PASSWORD = os.environ.get("PLAIN_PASSWORD", "test-password")
CLK = os.sysconf("SC_CLK_TCK")


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return int(out["RssAnon"].split()[0]), int(out["Threads"])


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


class Run:
    def __init__(self, args, n):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="dm-many-")
        self.dir = os.environ["DESKMAIL_TEST_DOVECOT_DIR"]
        self.imaps = int(os.environ["DESKMAIL_TEST_DOVECOT_PORT_BASE"]) + 993
        self.cert = os.path.join(self.dir, "ssl", "cert.pem")
        tag = uuid.uuid4().hex[:6]
        self.users = [f"many-{tag}-{i}" for i in range(n)]
        self.config = os.path.join(self.tmp, "deskmail.toml")
        with open(self.config, "w") as f:
            f.write(f'data_dir = "{self.tmp}/data"\nlog_level = "info"\n')
            for u in self.users:
                f.write(f'[[account]]\nname = "{u}"\nhost = "127.0.0.1"\nport = {self.imaps}\n'
                        f'ca_file = "{self.cert}"\nusername = "{u}"\nauth = "password"\n'
                        f'password_env = "DM_MANY_PASSWORD"\npoll_interval_s = 1500\n')
        self.log = open(os.path.join(self.tmp, "run.log"), "w+")
        env = dict(os.environ, DM_MANY_PASSWORD=PASSWORD)
        self.p = subprocess.Popen([args.deskmail, "--config", self.config, "run"],
                                  stdout=self.log, stderr=self.log, env=env)

    def wait_idle(self, timeout):
        # Every account logs "connected" and then idles; the IDLE commands
        # show in Dovecot as one imap process per user.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.log.seek(0)
            text = self.log.read()
            connected = sum(1 for u in self.users if f"account {u}: connected" in text)
            if connected == len(self.users):
                time.sleep(2)  # let the last ones reach IDLE
                return time.monotonic() - (deadline - timeout)
            if self.p.poll() is not None:
                raise SystemExit(f"deskmail run exited: {text[-2000:]}")
            time.sleep(0.2)
        raise SystemExit(f"only {connected} of {len(self.users)} accounts connected")

    def tickets(self):
        r = subprocess.run([self.args.deskmail, "--config", self.config, "tickets", "summary",
                            "--json"], capture_output=True, text=True)
        return json.loads(r.stdout)["tickets"] if r.returncode == 0 else -1

    def deliver(self, user, subject):
        ctx = ssl.create_default_context(cafile=self.cert)
        m = imaplib.IMAP4_SSL("127.0.0.1", self.imaps, ssl_context=ctx)
        m.login(user, PASSWORD)
        msg = (f"From: c@example.org\r\nTo: {user}@example.com\r\nSubject: {subject}\r\n"
               f"Message-ID: <{uuid.uuid4().hex}@many.test>\r\n\r\nhello\r\n")
        m.append("INBOX", None, None, msg.encode())
        m.logout()

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def raise_login_limits():
    """Dovecot's imap-login keeps one process per TLS connection for its
    whole life (it proxies the TLS), and process_limit defaults to 100: more
    than ~100 IMAPS clients cannot be served at all. High-performance mode
    (one login process serving many clients) lifts that, as a site with
    hundreds of mailboxes on one address would configure it. Left in place
    (DIR/local.conf) for later runs on the same server."""
    d = os.environ["DESKMAIL_TEST_DOVECOT_DIR"]
    with open(os.path.join(d, "local.conf"), "w") as f:
        f.write("service imap-login {\n  service_count = 0\n  client_limit = 1000\n"
                "  process_min_avail = 2\n}\ndefault_client_limit = 2000\n"
                # Past fs.inotify.max_user_instances (128) imap processes of the
                # one mail uid, Dovecot watches mailboxes by polling instead:
                # poll every second, not every 30.
                "mailbox_idle_check_interval = 1 secs\n")
    subprocess.run(["doveadm", "-c", os.path.join(d, "dovecot.conf"), "reload"], check=True)
    time.sleep(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deskmail", required=True)
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--accounts", type=int)
    args = ap.parse_args()
    if not os.environ.get("DESKMAIL_TEST_DOVECOT_DIR"):
        print("SKIPPED: no Dovecot (tests/dovecot/start.sh)")
        return 77
    n = args.accounts or (200 if args.long else 20)
    if n > 90:
        raise_login_limits()

    base = Run(args, 1)
    base.wait_idle(60)
    base_anon, base_threads = proc_status(base.p.pid)
    base.stop()

    run = Run(args, n)
    failures = []
    try:
        took = run.wait_idle(120)
        anon, threads = proc_status(run.p.pid)
        c0 = cpu_seconds(run.p.pid)
        time.sleep(10)
        cpu = cpu_seconds(run.p.pid) - c0
        per_anon = (anon - base_anon) / (n - 1)
        per_threads = (threads - base_threads) / (n - 1)
        print(f"many accounts: {n} accounts idling {took:.1f} s after start")
        print(f"  RssAnon {anon} KB ({base_anon} KB with 1 account): {per_anon:.0f} KB per account")
        print(f"  threads {threads} ({base_threads} with 1 account): {per_threads:.2f} per account")
        print(f"  idle CPU over 10 s: {cpu:.2f} s ({100 * cpu / 10:.1f}% of a core)")
        if per_anon > 256:
            failures.append(f"{per_anon:.0f} KB of anonymous memory per account (> 256)")
        if cpu > 0.5:
            failures.append(f"idle CPU {cpu:.2f} s over 10 s")
        before = run.tickets()
        latencies = []
        for i, user in enumerate(random.sample(run.users, min(5, n))):
            run.deliver(user, f"many accounts probe {i}")
            t0 = time.monotonic()  # the mail is in the folder now
            while run.tickets() < before + i + 1 and time.monotonic() - t0 < 10:
                time.sleep(0.05)
            latencies.append(time.monotonic() - t0)
        print("  new mail -> ticket: " + ", ".join(f"{l:.2f} s" for l in latencies))
        if max(latencies) > 2:
            failures.append(f"new mail took {max(latencies):.2f} s to become a ticket (> 2 s)")
    finally:
        run.stop()
    for f in failures:
        print(f"many accounts: FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
