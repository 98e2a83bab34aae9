#!/usr/bin/env python3
"""Fill one Dovecot user's INBOX for bench/ingest.sh by writing Maildir files.

  populate_inbox.py DOVECOT_DIR USER COUNT [--seed 1] [--mail-user vmail] [--realistic]
                    [--big-mb MB]

--big-mb MB: COUNT messages of about MB megabytes each (a short text part and
one base64 attachment of random bytes): the large-message memory case.

--realistic: the messages of fixtures/generate_mailbox.py --realistic (60 %
plain 2-8 KB, 25 % text+HTML 10-60 KB, 15 % with 1-3 attachments of
100 KB-2 MB; about 1.1 GB per 10,000), instead of the mix below.

Replaces USER's mailbox (DOVECOT_DIR/mail/USER, indexes included). Sizes are
log-uniform 2-50 KB; 1 % are ~200 KB (a base64 PDF-like attachment); 10 %
are HTML-only. Each message has its own Message-ID, so each opens a ticket.
Files go to cur/ with ',S=<size>,W=<CRLF size>:2,' so Dovecot never has to
read a file to learn its sizes; owner = the mail user. Safe while Dovecot
runs (it indexes new files on the next SELECT).
"""
import argparse, base64, math, os, pwd, random, shutil, socket, time

ap = argparse.ArgumentParser()
ap.add_argument("dir"); ap.add_argument("user"); ap.add_argument("count", type=int)
ap.add_argument("--seed", type=int, default=1); ap.add_argument("--mail-user", default="vmail")
ap.add_argument("--realistic", action="store_true")
ap.add_argument("--big-mb", type=float, default=0)
a = ap.parse_args()

pw = pwd.getpwnam(a.mail_user)
home = os.path.join(a.dir, "mail", a.user)
shutil.rmtree(home, ignore_errors=True)
md = os.path.join(home, "Maildir")
for d in (home, md, md + "/cur", md + "/new", md + "/tmp"):
    os.makedirs(d, mode=0o700, exist_ok=True); os.chown(d, pw.pw_uid, pw.pw_gid)

rnd = random.Random(a.seed)
words = ["printer", "invoice", "refund", "order", "login", "password", "delivery", "account",
         "please", "thanks", "urgent", "error", "since", "update", "again", "customer",
         "the", "a", "is", "not", "we", "our", "it", "and", "with", "when"]
pool = [" ".join(rnd.choice(words) for _ in range(12)) for _ in range(4096)]
host, pid, now = socket.gethostname().replace("/", "_").replace(":", "_"), os.getpid(), int(time.time())
sizes = {"small": 0, "large": 0, "html": 0, "bytes": 0}
t0 = time.time()
if a.realistic:
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
    from generate_mailbox import Gen
    g = Gen(a.seed, realistic=True)
    for i in range(a.count):
        body = g.message(i)
        lines = body.count(b"\n")
        sizes["bytes"] += len(body) + lines
        name = f"{now}.M{i}P{pid}.{host},S={len(body)},W={len(body) + lines}:2,"
        fd = os.open(os.path.join(md, "cur", name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body); os.fchown(fd, pw.pw_uid, pw.pw_gid); os.close(fd)
    print(f"populate: {a.count} realistic messages {dict(sorted(g.counts.items()))}, "
          f"{sizes['bytes'] / 1e6:.1f} MB as IMAP (CRLF), in {md} ({time.time() - t0:.1f} s)")
    raise SystemExit(0)
for i in range(a.count):
    if a.big_mb > 0:
        raw = rnd.randbytes(int(a.big_mb * 1e6 * 0.75))
        b64 = base64.encodebytes(raw).decode()
        body = (f"From: Scanner <scanner@example.com>\nTo: {a.user}\n"
                f"Subject: Big scan {i}\nMessage-ID: <big.{a.seed}.{i}@bench.example>\n"
                + time.strftime("Date: %a, %d %b %Y %H:%M:%S +0000\n", time.gmtime(now)) +
                'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
                "Content-Type: text/plain; charset=utf-8\n\nThe scan is attached.\n--b1\n"
                'Content-Type: application/pdf; name="scan.pdf"\n'
                "Content-Transfer-Encoding: base64\n"
                'Content-Disposition: attachment; filename="scan.pdf"\n\n' + b64 + "--b1--\n").encode()
        lines = body.count(b"\n")
        sizes["large"] += 1
        sizes["bytes"] += len(body) + lines
        name = f"{now}.M{i}P{pid}.{host},S={len(body)},W={len(body) + lines}:2,"
        fd = os.open(os.path.join(md, "cur", name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body); os.fchown(fd, pw.pw_uid, pw.pw_gid); os.close(fd)
        continue
    large = rnd.random() < 0.01
    html = not large and rnd.random() < 0.10
    target = 200_000 if large else int(math.exp(rnd.uniform(math.log(2_000), math.log(50_000))))
    head = [f"From: Customer {i % 500} <customer{i % 500}@example.com>", f"To: {a.user}",
            f"Subject: Support request {i}: {pool[i % len(pool)][:40]}",
            f"Message-ID: <ingest.{a.seed}.{i}@bench.example>",
            time.strftime("Date: %a, %d %b %Y %H:%M:%S +0000", time.gmtime(now - (a.count - i) * 60)),
            "MIME-Version: 1.0"]
    text, n, j = [], 0, rnd.randrange(len(pool))
    budget = 6_000 if large else target - 300
    while n < budget:
        l = pool[j % len(pool)]; text.append(l); n += len(l) + 1; j += 1
    if large:
        blob = base64.encodebytes(rnd.randbytes(int((target - n) * 0.74))).decode().rstrip("\n")
        lines = head + ['Content-Type: multipart/mixed; boundary="b1"', "", "--b1",
                        "Content-Type: text/plain; charset=utf-8", ""] + text + [
                 "--b1", 'Content-Type: application/pdf; name="scan.pdf"',
                 "Content-Transfer-Encoding: base64",
                 'Content-Disposition: attachment; filename="scan.pdf"', ""] + blob.split("\n") + ["--b1--"]
        sizes["large"] += 1
    elif html:
        lines = head + ["Content-Type: text/html; charset=utf-8", "", "<html><body>"] + [
            f"<p>{l}</p>" for l in text] + ["</body></html>"]
        sizes["html"] += 1
    else:
        lines = head + ["Content-Type: text/plain; charset=utf-8", ""] + text
        sizes["small"] += 1
    body = ("\n".join(lines) + "\n").encode()
    sizes["bytes"] += len(body) + len(lines)
    name = f"{now}.M{i}P{pid}.{host},S={len(body)},W={len(body) + len(lines)}:2,"
    fd = os.open(os.path.join(md, "cur", name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, body); os.fchown(fd, pw.pw_uid, pw.pw_gid); os.close(fd)
print(f"populate: {a.count} messages ({sizes['small']} text, {sizes['html']} html, "
      f"{sizes['large']} ~200 KB), {sizes['bytes'] / 1e6:.1f} MB as IMAP (CRLF), "
      f"in {md} ({time.time() - t0:.1f} s)")
