#!/usr/bin/env python3
"""A DNS server for benches/wait/run that knows no names: every query over UDP gets NXDOMAIN
at once, its question echoed. It stands in for a nearby resolver, so that smtp-doctor's reverse
look-up of the server's address costs what a quick local resolver costs and never leaves the
bench's network namespace.

Usage: dns_stub.py ADDRESS PORT READY_FILE (the pid is written to READY_FILE once bound).
"""

import os
import socket
import struct
import sys

NXDOMAIN = 3


def answer(query):
    """The NXDOMAIN response to one query, or None when it is not a query we can read."""
    if len(query) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    # Walk the question's name (labels only, no compression in a question) and its type, class.
    at = 12
    while True:
        if at >= len(query):
            return None
        length = query[at]
        if length == 0:
            at += 1
            break
        if length & 0xC0:
            return None
        at += 1 + length
    at += 4
    if at > len(query):
        return None
    opcode = flags & 0x7800
    rd = flags & 0x0100
    # QR, the same opcode and RD, RA set, NXDOMAIN; one question, no records.
    out_flags = 0x8000 | opcode | rd | 0x0080 | NXDOMAIN
    return struct.pack("!HHHHHH", ident, out_flags, 1, 0, 0, 0) + query[12:at]


def main():
    address, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    while True:
        query, peer = sock.recvfrom(4096)
        response = answer(query)
        if response is not None:
            sock.sendto(response, peer)


if __name__ == "__main__":
    main()
