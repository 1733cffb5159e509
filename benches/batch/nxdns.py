#!/usr/bin/env python3
"""The smallest DNS server benches/batch/run needs: whatever it is asked over UDP, it answers
"no such name" (RCODE 3) straight away. smtp-doctor, pointed at it with --resolver, gets its
reverse (PTR) look-up of each of the 1,000 server addresses answered in microseconds, and no
query ever leaves the client's network namespace.

    nxdns.py LISTEN_IP PORT PIDFILE

PIDFILE appears (written whole, then renamed into place) once the socket is bound; the script
waits for it before timing anything. It counts what it answered and prints the count to
standard error when it gets SIGTERM.
"""

import os
import signal
import socket
import sys

HEADER = 12


def question_end(packet):
    """Offset just past the (single) question of `packet`, or -1 when it is not readable."""
    pos = HEADER
    while pos < len(packet):
        label = packet[pos]
        if label == 0:
            end = pos + 1 + 4  # the root label, then QTYPE and QCLASS
            return end if end <= len(packet) else -1
        if label >= 64:  # a pointer or a reserved label type: never in a question we accept
            return -1
        pos += 1 + label
    return -1


def nxdomain(packet):
    """The reply to `packet`: its id and question, QR/RA set, RD and opcode copied, NXDOMAIN."""
    if len(packet) < HEADER:
        return None
    flags = int.from_bytes(packet[2:4], "big")
    questions = int.from_bytes(packet[4:6], "big")
    if flags >> 15 or questions != 1:
        return None
    end = question_end(packet)
    if end < 0:
        return None
    reply_flags = (1 << 15) | (flags & 0x7900) | (1 << 7) | 3
    counts = (1).to_bytes(2, "big") + bytes(6)  # QDCOUNT 1, no answers, authority, additional
    return packet[0:2] + reply_flags.to_bytes(2, "big") + counts + packet[HEADER:end]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    listen, port, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    answered = 0

    def stop(_signum, _frame):
        print("nxdns: answered %d queries" % answered, file=sys.stderr)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((listen, port))
    with open(pidfile + ".part", "w") as out:
        out.write("%d\n" % os.getpid())
    os.replace(pidfile + ".part", pidfile)
    while True:
        packet, client = sock.recvfrom(512 * 8)
        reply = nxdomain(packet)
        if reply is not None:
            sock.sendto(reply, client)
            answered += 1


if __name__ == "__main__":
    main()
