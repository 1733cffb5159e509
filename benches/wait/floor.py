#!/usr/bin/env python3
"""The floor client of benches/wait/run: the fewest steps a full check of a mail server can take.

For each port, in its own thread, all at once (as smtp-doctor does):

  STARTTLS ports (25, 587): connect, greeting, EHLO, STARTTLS, TLS handshake, EHLO, QUIT
  implicit TLS (465):       connect, TLS handshake, greeting, EHLO, QUIT

QUIT is written and the socket closed at once: its reply is not awaited. Every socket has
TCP_NODELAY, and TCP_QUICKACK is set again before every read (on Linux it does not stay on), so
the server's session tickets are acknowledged at once and its next write is not held back by its
own Nagle algorithm. The certificate is verified against --ca-file (no name check: the target is
an address, as in `smtp-doctor check ADDRESS`).

The "network" time is measured inside the process: from just before the first connect to the
end of the last port's last step. It leaves out the interpreter's start-up; the bench measures
the whole process separately. With --record FILE that time (seconds) is appended to FILE.
Exit status 0 only when every port completed every step.
"""

import argparse
import json
import socket
import ssl
import sys
import threading
import time

# Linux <netinet/tcp.h>; older Pythons lack the constant.
TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", 12)
IMPLICIT_TLS_PORTS = (465, 2465)


class Failure(Exception):
    pass


class Session:
    """One SMTP connection with a byte buffer and a reply reader."""

    def __init__(self, host, port, timeout):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.buf = b""
        self.start = None
        self.steps = []

    def mark(self, step):
        self.steps.append((step, time.monotonic()))

    def quickack(self):
        self.sock.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 1)

    def connect(self):
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)
        sock.connect((self.host, self.port))
        self.sock = sock
        self.mark("connect")

    def reply(self, step, expect):
        """Reads one whole (possibly multi-line) reply; returns its lines as text."""
        lines = []
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                line = line.rstrip(b"\r").decode("utf-8", "replace")
                lines.append(line)
                if len(line) < 4 or line[3] != "-":
                    code = line[:3]
                    if not code.startswith(expect):
                        raise Failure("%s: expected %sxx, got %r" % (step, expect, lines))
                    self.mark(step)
                    return lines
            self.quickack()
            data = self.sock.recv(4096)
            if not data:
                raise Failure("%s: connection closed after %r" % (step, lines))
            self.buf += data

    def send(self, text):
        self.sock.sendall(text.encode("ascii") + b"\r\n")

    def tls(self, context):
        if self.buf:
            raise Failure("bytes after the STARTTLS reply, before the handshake")
        tls = context.wrap_socket(self.sock, server_hostname=None, do_handshake_on_connect=False)
        self.sock = tls
        self.quickack()
        tls.do_handshake()
        self.mark("tls")
        return tls.version(), tls.cipher()[0]

    def ehlo_name(self):
        return "[%s]" % self.sock.getsockname()[0]

    def quit(self):
        # Written, not awaited; then closed.
        self.send("QUIT")
        self.sock.close()
        self.mark("quit_sent")


def probe(host, port, context, timeout, results):
    session = Session(host, port, timeout)
    result = {"port": port, "ok": False}
    results[port] = result
    try:
        session.start = time.monotonic()
        session.connect()
        name = session.ehlo_name()
        if port in IMPLICIT_TLS_PORTS:
            result["mode"] = "implicit_tls"
            result["tls"] = session.tls(context)
            session.reply("greeting", "2")
            session.send("EHLO " + name)
            session.reply("ehlo", "2")
        else:
            result["mode"] = "starttls"
            session.reply("greeting", "2")
            session.send("EHLO " + name)
            ehlo = session.reply("ehlo", "2")
            if not any(line[4:].upper().startswith("STARTTLS") for line in ehlo):
                raise Failure("STARTTLS not offered")
            session.send("STARTTLS")
            session.reply("starttls", "2")
            result["tls"] = session.tls(context)
            session.send("EHLO " + name)
            session.reply("ehlo_tls", "2")
        session.quit()
        result["ok"] = True
    except (OSError, Failure) as e:
        result["error"] = "%s: %s" % (type(e).__name__, e)
        if session.sock is not None:
            session.sock.close()
    previous = session.start
    result["steps_ms"] = {}
    for step, at in session.steps:
        result["steps_ms"][step] = round((at - previous) * 1000.0, 1)
        previous = at
    result["end"] = session.steps[-1][1] if session.steps else time.monotonic()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host", help="an IPv4 or IPv6 address")
    parser.add_argument("--ports", default="25,587,465")
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--record", help="append the network time (seconds) to this file")
    parser.add_argument("--json", action="store_true", help="per-port steps as JSON")
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=args.ca_file)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    ports = [int(p) for p in args.ports.split(",")]

    results = {}
    threads = [
        threading.Thread(target=probe, args=(args.host, port, context, args.timeout, results))
        for port in ports
    ]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    network = max(r["end"] for r in results.values()) - start
    ok = all(r["ok"] for r in results.values())

    for r in results.values():
        del r["end"]
    if args.json:
        print(json.dumps({"network_s": round(network, 4), "ok": ok, "ports": results}))
    else:
        for port in ports:
            r = results[port]
            steps = ", ".join("%s %.0f ms" % kv for kv in r["steps_ms"].items())
            status = "ok %s %s" % tuple(r["tls"]) if r["ok"] else r.get("error")
            print("%d %s: %s; %s" % (port, r.get("mode"), status, steps))
        print("network time %.3f s" % network)
    if ok and args.record:
        with open(args.record, "a") as f:
            f.write("%.6f\n" % network)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
