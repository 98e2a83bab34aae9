#!/usr/bin/env python3
"""Network faults between `deskmail run` and the real loopback Dovecot.

Each case seeds a fresh Dovecot user with N distinct messages, points one
account at tests/reliability/proxy_fault.py (in front of Dovecot's IMAPS
port, so TLS passes through the proxy), injects a fault, and checks that the
run recovers with exact counts: every message in the folder became exactly
one stored message and one ticket (`tickets summary --json`), and the
`run --once` summary counts all of them. Cases:

  cut       links cut mid-literal (inside a UID FETCH body), twice
  recount   links cut after whole batches were committed on them, twice: the
            --once summary counts what every connection committed, not only
            the last one's
  stall     the server goes silent mid-FETCH; read_timeout_s ends the wait
  handshake links cut during the TLS handshake (the first K bytes)
  trickle   every byte arrives slowly
  sigterm   SIGTERM while a FETCH is stalled: exit within 5 s, code 143 for
            --once (0 for the daemon); a second run loses nothing
  deadline  every connection stalls: --once gives up after once_deadline_s,
            exits 1 naming the account

Usage: proxy_test.py --deskmail BIN [--long] [--only CASE]
Needs DESKMAIL_TEST_DOVECOT_DIR and DESKMAIL_TEST_DOVECOT_PORT_BASE
(tests/dovecot/start.sh). Exits 77 (skipped) when they are unset.
"""
import argparse
import imaplib
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = os.environ.get("PLAIN_PASSWORD", "test-password")


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


class Dovecot:
    def __init__(self):
        self.dir = os.environ["DESKMAIL_TEST_DOVECOT_DIR"]
        self.base = int(os.environ["DESKMAIL_TEST_DOVECOT_PORT_BASE"])
        self.imaps = self.base + 993
        self.cert = os.path.join(self.dir, "ssl", "cert.pem")

    def seed(self, user, count, body_bytes):
        ctx = ssl.create_default_context(cafile=self.cert)
        m = imaplib.IMAP4_SSL("127.0.0.1", self.imaps, ssl_context=ctx)
        m.login(user, PASSWORD)
        filler = ("lorem ipsum dolor sit amet " * (body_bytes // 27 + 1))[:body_bytes]
        lines = "\r\n".join(filler[i:i + 76] for i in range(0, len(filler), 76))
        for i in range(count):
            msg = (f"From: customer{i}@example.org\r\nTo: {user}@example.com\r\n"
                   f"Subject: proxy case {user} message {i}\r\n"
                   f"Message-ID: <{uuid.uuid4().hex}.{i}@proxy.test>\r\n"
                   f"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n"
                   f"Hello {i},\r\n{lines}\r\n")
            typ, _ = m.append("INBOX", None, None, msg.encode())
            check(typ == "OK", f"APPEND {i} for {user}")
        m.logout()


class Proxy:
    def __init__(self, target_port, plan, log):
        self.log = log
        self.p = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "proxy_fault.py"), "--target",
             f"127.0.0.1:{target_port}", "--plan", plan, "--log", log],
            stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().split()
        check(line and line[0] == "ready", "proxy did not start")
        self.port = int(line[1])

    def faults(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [l.split() for l in f if l.strip()]

    def stop(self):
        self.p.terminate()
        self.p.wait()


class Case:
    def __init__(self, args, dovecot, name, n, plan, extra_top="", extra_account="",
                 body_bytes=3000):
        self.args, self.dovecot, self.name = args, dovecot, name
        self.n = n
        self.tmp = tempfile.mkdtemp(prefix=f"dm-proxy-{name}-")
        self.user = f"proxy-{name}-{uuid.uuid4().hex[:8]}"
        dovecot.seed(self.user, n, body_bytes)
        self.proxy = Proxy(dovecot.imaps, plan, os.path.join(self.tmp, "proxy.log"))
        self.config = os.path.join(self.tmp, "deskmail.toml")
        with open(self.config, "w") as f:
            f.write(f'data_dir = "{self.tmp}/data"\n{extra_top}\n'
                    f'[[account]]\nname = "{self.user}"\nhost = "127.0.0.1"\n'
                    f'port = {self.proxy.port}\nca_file = "{dovecot.cert}"\n'
                    f'username = "{self.user}"\nauth = "password"\n'
                    f'password_env = "DM_PROXY_PASSWORD"\n'
                    f'fetch_batch_max_count = 40\nconnect_timeout_s = 5\n{extra_account}\n')

    def deskmail(self, *argv, timeout=300):
        env = dict(os.environ, DM_PROXY_PASSWORD=PASSWORD)
        return subprocess.run([self.args.deskmail, "--config", self.config, *argv],
                              capture_output=True, text=True, timeout=timeout, env=env)

    def start(self, *argv):
        env = dict(os.environ, DM_PROXY_PASSWORD=PASSWORD)
        return subprocess.Popen([self.args.deskmail, "--config", self.config, *argv],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)

    def summary(self):
        r = self.deskmail("tickets", "summary", "--json")
        check(r.returncode == 0, f"tickets summary failed: {r.stderr}")
        return json.loads(r.stdout)

    def check_exact(self):
        s = self.summary()
        check(s["messages"] == self.n and s["tickets"] == self.n,
              f"{self.name}: {self.n} in Dovecot, stored {s['messages']} messages, "
              f"{s['tickets']} tickets")

    def check_once_line(self, stdout, fetched):
        want = f"{self.user}: {fetched} fetched, {fetched} new tickets"
        check(want in stdout, f"{self.name}: summary line '{want}' not in: {stdout!r}")

    def close(self):
        self.proxy.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_once_and_check(case, min_faults):
    t0 = time.monotonic()
    r = case.deskmail("run", "--once")
    took = time.monotonic() - t0
    check(r.returncode == 0, f"{case.name}: run --once exited {r.returncode}: {r.stderr[-2000:]}")
    case.check_once_line(r.stdout, case.n)
    case.check_exact()
    faults = [f for f in case.proxy.faults() if not f[1].startswith("pass") and f[-1] == "closed"]
    check(len(faults) >= min_faults, f"{case.name}: only {len(faults)} faults landed")
    return took, faults


def case_cut(args, d):
    # Bytes 0..~6 KB are TLS + greeting + login; the cuts land inside FETCH literals.
    c = Case(args, d, "cut", args.n, "cut:40000,cut:90000,pass")
    try:
        took, faults = run_once_and_check(c, 2)
        return f"{c.n} messages, {len(faults)} cuts mid-FETCH, {took:.1f} s"
    finally:
        c.close()


def case_recount(args, d):
    # 40 messages of ~3 KB per batch: ~125 KB a batch. Each of the first two
    # connections commits at least one batch before its cut at 200 KB, so the
    # mail is committed across three connections; the summary must count it all.
    c = Case(args, d, "recount", args.n, "cut:200000,cut:200000,pass")
    try:
        took, faults = run_once_and_check(c, 2)
        return f"{c.n} messages over {len(faults) + 1} connections, {took:.1f} s"
    finally:
        c.close()


def case_stall(args, d):
    c = Case(args, d, "stall", args.n, "stall:40000,pass", extra_account="read_timeout_s = 2")
    try:
        took, faults = run_once_and_check(c, 1)
        return f"{c.n} messages, 1 stall ended by read_timeout_s = 2, {took:.1f} s"
    finally:
        c.close()


def case_handshake(args, d):
    c = Case(args, d, "handshake", args.n, "handshake:50,handshake:700,handshake:1500,pass")
    try:
        took, faults = run_once_and_check(c, 3)
        return f"{c.n} messages, 3 handshakes cut (50/700/1500 bytes), {took:.1f} s"
    finally:
        c.close()


def case_trickle(args, d):
    rate = 150_000
    c = Case(args, d, "trickle", args.n // 2, f"trickle:{rate},trickle:{rate}")
    try:
        took, faults = run_once_and_check(c, 1)
        return f"{c.n} messages at {rate // 1000} kB/s, {took:.1f} s"
    finally:
        c.close()


def case_sigterm(args, d):
    results = []
    for once in (True, False):
        c = Case(args, d, "sigterm", args.n, "stall:200000,pass",
                 extra_account="read_timeout_s = 120")
        try:
            argv = ["run", "--once"] if once else ["run"]
            p = c.start(*argv)
            # Wait until the stall has landed (after the first batches were committed).
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and p.poll() is None:
                if any(f[-1] == "stalled" for f in c.proxy.faults()):
                    break
                time.sleep(0.1)
            time.sleep(1.0)
            if p.poll() is not None:
                raise Fail(f"sigterm: run exited early: {p.stderr.read()[-2000:]}")
            t0 = time.monotonic()
            p.send_signal(signal.SIGTERM)
            try:
                out, err = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                raise Fail("sigterm: still running 10 s after SIGTERM")
            took = time.monotonic() - t0
            check(took < 5, f"sigterm: took {took:.1f} s to stop")
            want = 143 if once else 0
            check(p.returncode == want,
                  f"sigterm ({' '.join(argv)}): exit {p.returncode}, want {want}: {err[-1500:]}")
            before = c.summary()["messages"]
            check(before < c.n, "sigterm: the stall landed after everything was stored")
            if once:  # the summary of the cut pass counts what it committed
                c.check_once_line(out, before)
            # Nothing committed was lost: a clean second run stores the rest exactly once.
            r = c.deskmail("run", "--once")
            check(r.returncode == 0, f"sigterm: second run exited {r.returncode}: {r.stderr}")
            c.check_once_line(r.stdout, c.n - before)
            c.check_exact()
            results.append(f"{' '.join(argv)}: stopped in {took:.2f} s (exit {p.returncode}), "
                           f"{before} stored before, the rest after")
        finally:
            c.close()
    return "; ".join(results)


def case_deadline(args, d):
    c = Case(args, d, "deadline", 20, "stall:3000," * 50, extra_top="once_deadline_s = 6",
             extra_account="read_timeout_s = 120")
    try:
        t0 = time.monotonic()
        r = c.deskmail("run", "--once", timeout=60)
        took = time.monotonic() - t0
        check(r.returncode == 1, f"deadline: exit {r.returncode}, want 1")
        check(c.user in r.stderr and "once_deadline_s" in r.stderr,
              f"deadline: error does not name the account and the deadline: {r.stderr[-1500:]}")
        check(took < 12, f"deadline: took {took:.1f} s with once_deadline_s = 6")
        return f"every connection stalled: gave up after {took:.1f} s (once_deadline_s = 6)"
    finally:
        c.close()


CASES = {"cut": case_cut, "recount": case_recount, "stall": case_stall, "handshake": case_handshake,
         "trickle": case_trickle, "sigterm": case_sigterm, "deadline": case_deadline}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deskmail", required=True)
    ap.add_argument("--long", action="store_true", help="more messages per case")
    ap.add_argument("--only", action="append")
    args = ap.parse_args()
    if not os.environ.get("DESKMAIL_TEST_DOVECOT_DIR") or \
            not os.environ.get("DESKMAIL_TEST_DOVECOT_PORT_BASE"):
        print("SKIPPED: no Dovecot (tests/dovecot/start.sh)")
        return 77
    args.n = 1000 if args.long else 120
    d = Dovecot()
    failed = 0
    for name, fn in CASES.items():
        if args.only and name not in args.only:
            continue
        t0 = time.monotonic()
        try:
            print(f"proxy {name}: ok: {fn(args, d)}", flush=True)
        except Fail as e:
            failed += 1
            print(f"proxy {name}: FAILED: {e}", flush=True)
        except Exception as e:  # a broken harness is a failure too
            failed += 1
            print(f"proxy {name}: FAILED: {type(e).__name__}: {e}", flush=True)
        print(f"  ({time.monotonic() - t0:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
