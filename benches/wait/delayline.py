#!/usr/bin/env python3
"""A delay line between two network namespaces, for benches/wait/run.

It opens one TUN device in each namespace (entering the namespace with setns(2) through ctypes,
because Python 3.11 has no os.setns), then copies every IP packet read from one device to the
other after holding it for DELAY milliseconds. Each direction is a FIFO with the same delay, so
packets keep their order; nothing is dropped, reordered or rate-limited. With 25 ms each way
the round trip between the namespaces is 50 ms plus a fraction of a millisecond.

The devices exist only while this process holds them: when it exits (SIGTERM, SIGINT, or the
namespaces going away) they are gone too. Once both are open it writes its pid to --ready; the
caller then gives them addresses and brings them up.

It runs as root; it never touches the namespace it was started in except to return to it.
"""

import argparse
import collections
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import time

# <linux/if_tun.h>
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
# <sched.h>
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.setns.restype = ctypes.c_int


def setns(fd):
    """Moves the calling thread into the network namespace that fd refers to."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def open_tun(netns, ifname):
    """Creates TUN device ifname (raw IP packets, no extra header) inside namespace netns and
    returns its non-blocking file descriptor; the thread is back in its own namespace after."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    target = os.open("/run/netns/" + netns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns(target)
        try:
            # The device belongs to the namespace the file was opened in.
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                request = struct.pack("16sH22x", ifname.encode(), IFF_TUN | IFF_NO_PI)
                fcntl.ioctl(fd, TUNSETIFF, request)
            except OSError:
                os.close(fd)
                raise
        finally:
            setns(home)
    finally:
        os.close(target)
        os.close(home)
    return fd


class Direction:
    """Packets read from src, each waiting until its due time to be written to dst."""

    def __init__(self, name, src, dst):
        self.name = name
        self.src = src
        self.dst = dst
        self.queue = collections.deque()
        self.forwarded = 0
        self.dropped = 0
        self.late = []

    def take(self, delay):
        """Reads everything src has now; each packet is due delay seconds after it was read."""
        while True:
            try:
                packet = os.read(self.src, 65536)
            except BlockingIOError:
                return
            except OSError as e:
                # EIO while the peer side is still down: the kernel did not queue it anyway.
                if e.errno in (5,):
                    return
                raise
            if not packet:
                return
            self.queue.append((time.monotonic() + delay, packet))

    def release(self, now):
        """Writes every packet that is due; returns the due time of the next one, or None."""
        queue = self.queue
        while queue and queue[0][0] <= now:
            due, packet = queue.popleft()
            try:
                os.write(self.dst, packet)
                self.forwarded += 1
                self.late.append(now - due)
            except OSError:
                # The receiving device is down or its queue is full: a real link loses it too.
                self.dropped += 1
        return queue[0][0] if queue else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--netns-a", required=True)
    parser.add_argument("--netns-b", required=True)
    parser.add_argument("--ifname", default="sdw0", help="device name in both namespaces")
    parser.add_argument("--delay-ms", type=float, default=25.0, help="one way, each direction")
    parser.add_argument("--ready", required=True, help="file to write our pid to once ready")
    args = parser.parse_args()

    delay = args.delay_ms / 1000.0
    a = open_tun(args.netns_a, args.ifname)
    b = open_tun(args.netns_b, args.ifname)
    directions = [Direction("a->b", a, b), Direction("b->a", b, a)]
    by_src = {d.src: d for d in directions}

    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A signal also makes the wake-up pipe readable, so select returns at once.
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)

    with open(args.ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(args.ready + ".tmp", args.ready)

    while not stopping:
        now = time.monotonic()
        next_due = None
        for d in directions:
            due = d.release(now)
            if due is not None and (next_due is None or due < next_due):
                next_due = due
        # select(2) takes microseconds (epoll only milliseconds), so packets leave on time.
        timeout = 1.0 if next_due is None else max(0.0, next_due - time.monotonic())
        try:
            readable, _, _ = select.select([a, b, wake_r], [], [], timeout)
        except InterruptedError:
            continue
        for fd in readable:
            if fd == wake_r:
                os.read(wake_r, 512)
            else:
                by_src[fd].take(delay)

    for d in directions:
        late = sorted(d.late) or [0.0]
        print(
            "delay line %s: %d packets forwarded, %d dropped; released late by median %.2f ms,"
            " 99th percentile %.2f ms, at most %.2f ms"
            % (
                d.name,
                d.forwarded,
                d.dropped,
                late[len(late) // 2] * 1000.0,
                late[min(len(late) - 1, int(len(late) * 0.99))] * 1000.0,
                late[-1] * 1000.0,
            ),
            file=sys.stderr,
        )
    os.close(a)
    os.close(b)


if __name__ == "__main__":
    main()
