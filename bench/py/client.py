"""The Python client: the same loops as bench/c/client.c with CPython's
socket module (blocking sockets, no timeout: with a timeout CPython polls
before every call). It connects, then does one repetition per line "r" on
stdin and answers "t SECONDS [COUNT]", until stdin ends.

  client.py stream tcp|unix ADDR OP N          OP: send, recv, pingpong
  client.py dgram udp|unix CTRL MYPATH OP K    OP: send, recv
"""

import os
import socket
import struct
import sys
import time

CHUNK = 64 * 1024
DGRAM = 64
SO_RCVBUFFORCE = 33
SO_SNDBUFFORCE = 32


def reps():
    """Yields once per "r" line on stdin."""
    for line in iter(sys.stdin.readline, ""):
        if line.startswith("r"):
            yield


def report(seconds, count=None):
    extra = "" if count is None else f" {count}"
    sys.stdout.write(f"t {seconds:.9f}{extra}\n")
    sys.stdout.flush()


def read_full(s, n):
    out = bytearray()
    while len(out) < n:
        b = s.recv(n - len(out))
        if not b:
            sys.exit("client.py: unexpected end of stream")
        out += b
    return bytes(out)


def header(s, op, n):
    s.sendall(struct.pack("<c7xQ", op, n))


def stream_rep(s, op, n, buf, view):
    if op == "send":
        header(s, b"s", n)
        sendall = s.sendall
        t0 = time.perf_counter()
        left = n
        while left > 0:
            k = min(left, CHUNK)
            sendall(view[:k] if k < CHUNK else view)
            left -= k
        read_full(s, 1)
    elif op == "recv":
        header(s, b"r", n)
        recv_into = s.recv_into
        t0 = time.perf_counter()
        left = n
        while left > 0:
            k = recv_into(buf, min(left, CHUNK))
            if k == 0:
                sys.exit("client.py: source ended early")
            left -= k
    elif op == "pingpong":
        one = bytearray(1)
        send = s.send
        recv_into = s.recv_into
        t0 = time.perf_counter()
        for _ in range(n):
            send(one)
            recv_into(one)
    else:
        sys.exit(f"unknown op {op}")
    return time.perf_counter() - t0


def stream_main(fam, addr, op, n):
    if fam == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect(("127.0.0.1", int(addr)))
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    buf = bytearray(b"c" * CHUNK)
    view = memoryview(buf)
    if op == "pingpong":
        header(s, b"e", 0)
    for _ in reps():
        report(stream_rep(s, op, n, buf, view))
    s.close()


def big_buffers(s):
    for force, plain in ((SO_RCVBUFFORCE, socket.SO_RCVBUF),
                         (SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            s.setsockopt(socket.SOL_SOCKET, force, 64 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, plain, 64 << 20)


def dgram_main(fam, ctlpath, mypath, op, k):
    udp = fam == "udp"
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ctl.connect(ctlpath)
    header(ctl, b"u" if udp else b"x", 0)
    text = read_full(ctl, read_full(ctl, 1)[0]).decode()
    if udp:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer = ("127.0.0.1", int(text))
        me = ("127.0.0.1", 0)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        peer = text
        me = mypath
        if os.path.exists(mypath):
            os.unlink(mypath)
    big_buffers(s)
    s.bind(me)
    if not udp:
        s.connect(peer)
    s.sendto(b"h", peer)
    read_full(ctl, 1)
    data = b"b" * DGRAM
    buf = bytearray(DGRAM)
    for _ in reps():
        want = k
        if op == "recv":
            header(ctl, b"F", k)
            want = k - struct.unpack("<Q", read_full(ctl, 8))[0]
        if op == "send":
            sendto = s.sendto
            t0 = time.perf_counter()
            for _ in range(want):
                sendto(data, peer)
            t1 = time.perf_counter()
            header(ctl, b"D", k)
            got = struct.unpack("<Q", read_full(ctl, 8))[0]
            if got < k:
                print(f"client.py: peer received {got} of {k}", file=sys.stderr)
        elif op == "recv":
            recvfrom_into = s.recvfrom_into
            t0 = time.perf_counter()
            for _ in range(want):
                recvfrom_into(buf)
            t1 = time.perf_counter()
        else:
            sys.exit(f"unknown op {op}")
        report(t1 - t0, want)
    ctl.close()
    s.close()
    if not udp:
        os.unlink(mypath)


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "stream":
        stream_main(a[1], a[2], a[3], int(a[4]))
    elif len(a) == 6 and a[0] == "dgram":
        dgram_main(a[1], a[2], a[3], a[4], int(a[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
