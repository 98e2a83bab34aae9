#!/usr/bin/env python3
"""A fault-injecting TCP proxy on loopback, between deskmail and a server.

It proxies bytes, so TLS passes through it untouched. Each accepted
connection takes the next fault from --plan (then "pass" for the rest):

  pass          forward both ways
  cut:N         forward N bytes server->client, then close both sides
                (N inside a FETCH literal: a link lost mid-message)
  stall:N       forward N bytes server->client, then forward nothing more,
                holding both sides open until the client gives up
  handshake:K   cut after K bytes server->client; K smaller than the TLS
                ServerHello + certificate cuts the handshake
  trickle:BPS   forward server->client at BPS bytes per second
  refuse        accept and close at once

Usage: proxy_fault.py --listen PORT --target HOST:PORT --plan cut:50000,pass
       [--log FILE]   (a line per event: index, fault, bytes forwarded, "stalled"|"closed")
Prints "ready PORT" on stdout once listening (PORT 0 picks a free port).
"""
import argparse
import socket
import sys
import threading
import time


def parse_plan(text):
    plan = []
    for item in filter(None, (text or "").split(",")):
        kind, _, arg = item.partition(":")
        if kind not in ("pass", "cut", "stall", "handshake", "trickle", "refuse"):
            raise SystemExit(f"proxy_fault: unknown fault '{item}'")
        plan.append((kind, int(arg) if arg else 0))
    return plan


class Conn:
    def __init__(self, index, client, target, fault, log):
        self.index, self.client, self.fault, self.log = index, client, fault, log
        self.server = socket.create_connection(target)
        self.down = 0  # bytes server->client
        self.closed = threading.Event()

    def close(self):
        if self.closed.is_set():
            return
        self.closed.set()
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.note("closed")

    def note(self, event):
        if self.log:
            with open(self.log, "a") as f:
                f.write(f"{self.index} {self.fault[0]}:{self.fault[1]} {self.down} {event}\n")

    def upstream(self):  # client -> server, always faithful
        try:
            while not self.closed.is_set():
                data = self.client.recv(65536)
                if not data:
                    break
                self.server.sendall(data)
        except OSError:
            pass
        self.close()

    def downstream(self):  # server -> client, where the faults are
        kind, arg = self.fault
        try:
            while not self.closed.is_set():
                want = 65536
                if kind in ("cut", "handshake", "stall"):
                    want = min(want, arg - self.down)
                    if want <= 0:
                        if kind == "stall":
                            self.note("stalled")
                            self.closed.wait()  # hold the link open, send nothing
                        break
                if kind == "trickle":
                    want = max(1, min(want, arg // 10))
                data = self.server.recv(want)
                if not data:
                    break
                self.client.sendall(data)
                self.down += len(data)
                if kind == "trickle":
                    time.sleep(len(data) / max(arg, 1))
        except OSError:
            pass
        self.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, default=0)
    ap.add_argument("--target", required=True)
    ap.add_argument("--plan", default="")
    ap.add_argument("--log")
    args = ap.parse_args()
    host, _, port = args.target.rpartition(":")
    target = (host, int(port))
    plan = parse_plan(args.plan)

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.listen))
    lsock.listen(64)
    print(f"ready {lsock.getsockname()[1]}", flush=True)
    index = 0
    while True:
        client, _ = lsock.accept()
        fault = plan[index] if index < len(plan) else ("pass", 0)
        if fault[0] == "refuse":
            client.close()
            if args.log:
                with open(args.log, "a") as f:
                    f.write(f"{index} refuse:0 0\n")
            index += 1
            continue
        try:
            c = Conn(index, client, target, fault, args.log)
        except OSError as e:
            print(f"proxy_fault: cannot reach {args.target}: {e}", file=sys.stderr)
            client.close()
            continue
        index += 1
        threading.Thread(target=c.upstream, daemon=True).start()
        threading.Thread(target=c.downstream, daemon=True).start()


if __name__ == "__main__":
    main()
