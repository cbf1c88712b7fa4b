import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { test } from "./harness.ts";
import { bytes, openFds, python, pythonPeer, tempDir, text } from "./_util.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BlockingIOError,
  BrokenPipeError,
  ConnectionRefusedError,
  ConnectionResetError,
  FIONBIO,
  FIONREAD,
  fromfd,
  getDefaultTimeout,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_V6ONLY,
  OSError,
  setDefaultTimeout,
  SHUT_WR,
  SIOCGIFINDEX,
  SO_BROADCAST,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_RCVTIMEO,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  Socket,
  socket,
  socketpair,
  SOL_SOCKET,
  TCP_NODELAY,
  TimeoutError,
} from "../mod.ts";
import { libc, setErrno } from "../ffi/sys.ts";
import { errnoCodes } from "../constants/mod.ts";

const LO = { host: "127.0.0.1", port: 0 };
const UNIX = AF_UNIX!;

function listener(family = AF_INET): Socket {
  const s = socket(family, SOCK_STREAM);
  s.bind(family === AF_INET ? LO : { host: "::1", port: 0 });
  s.listen();
  return s;
}

function tcpPair(family = AF_INET): [Socket, Socket] {
  using srv = listener(family);
  const c = socket(family, SOCK_STREAM);
  c.connectSync(srv.getsockname());
  const [a] = srv.acceptSync();
  return [c, a];
}

test("socket() defaults to AF_INET SOCK_STREAM proto 0", () => {
  using s = socket();
  assert.equal(s.family, AF_INET);
  assert.equal(s.type, SOCK_STREAM);
  assert.equal(s.proto, 0);
  assert.ok(s.fileno() >= 0);
});

test("SOCK_NONBLOCK and SOCK_CLOEXEC are honoured and hidden from .type", () => {
  using s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK! | SOCK_CLOEXEC!);
  assert.equal(s.type, SOCK_STREAM);
  assert.equal(s.getTimeout(), 0);
  assert.equal(s.getBlocking(), false);
  assert.throws(() => s.acceptSync(), OSError);
});

test("sockets are non-inheritable by default and setInheritable toggles", () => {
  using s = socket();
  assert.equal(s.getInheritable(), false);
  s.setInheritable(true);
  assert.equal(s.getInheritable(), true);
  s.setInheritable(false);
  assert.equal(s.getInheritable(), false);
});

test("new Socket() with a fileno infers family, type and proto", () => {
  using u = socket(AF_INET6, SOCK_DGRAM);
  const fd = u.detach();
  using s = new Socket(undefined, undefined, undefined, fd);
  assert.equal(s.family, AF_INET6);
  assert.equal(s.type, SOCK_DGRAM);
  assert.equal(s.proto, 17);
});

test("new Socket() with a non-socket fileno throws OSError ENOTSOCK", () => {
  const fd = libc.epoll_create1(0);
  try {
    assert.throws(
      () => new Socket(undefined, undefined, undefined, fd),
      (e: unknown) => e instanceof OSError && e.code === "ENOTSOCK",
    );
  } finally {
    libc.close(fd);
  }
  assert.throws(
    () => new Socket(undefined, undefined, undefined, 0x7ffff),
    (e: unknown) => e instanceof OSError && e.code === "EBADF",
  );
});

test("socketpair() carries bytes both ways (stream and datagram)", () => {
  const [a, b] = socketpair();
  a.sendAllSync(bytes("ping"));
  assert.equal(text(b.recvSync(16)), "ping");
  b.sendAllSync(bytes("pong"));
  assert.equal(text(a.recvSync(16)), "pong");
  a.close();
  b.close();
  const [c, d] = socketpair(UNIX, SOCK_DGRAM);
  c.sendSync(bytes("one"));
  c.sendSync(bytes("two"));
  assert.equal(text(d.recvSync(2)), "on"); // datagram truncated
  assert.equal(text(d.recvSync(16)), "two");
  c.close();
  d.close();
});

test("fromfd() duplicates: the copy outlives the original", () => {
  const [a, b] = socketpair();
  const c = fromfd(a.fileno(), UNIX, SOCK_STREAM);
  assert.notEqual(c.fileno(), a.fileno());
  a.close();
  c.sendAllSync(bytes("x"));
  assert.equal(text(b.recvSync(1)), "x");
  assert.equal(c.getInheritable(), false);
  c.close();
  b.close();
});

test("dup() keeps family, type, proto and timeout", () => {
  using s = socket(AF_INET, SOCK_DGRAM);
  s.setTimeout(1500);
  using d = s.dup();
  assert.notEqual(d.fileno(), s.fileno());
  assert.deepEqual([d.family, d.type, d.proto], [s.family, s.type, s.proto]);
  assert.equal(d.getTimeout(), 1500);
});

test("detach() hands over the fd and leaves the socket closed", () => {
  const s = socket();
  const fd = s.detach();
  assert.equal(s.fileno(), -1);
  assert.throws(
    () => s.getsockname(),
    (e: unknown) => (e as OSError).errno === 9,
  );
  assert.equal(libc.close(fd), 0);
});

test("close() is idempotent and the fd becomes -1 at once", () => {
  const s = socket();
  s.close();
  assert.equal(s.fileno(), -1);
  s.close();
});

test("calls on a closed socket throw EBADF and never touch a reused fd", () => {
  const s = socket(AF_INET, SOCK_DGRAM);
  const old = s.fileno();
  s.close();
  const [a, b] = socketpair(UNIX, SOCK_DGRAM); // likely reuses `old`
  assert.ok(a.fileno() === old || b.fileno() === old || true);
  const calls: [string, () => unknown][] = [
    ["bind", () => s.bind(LO)],
    ["listen", () => s.listen()],
    ["getsockname", () => s.getsockname()],
    ["getpeername", () => s.getpeername()],
    ["shutdown", () => s.shutdown(SHUT_WR)],
    ["getsockopt", () => s.getsockopt(SOL_SOCKET, SO_TYPE)],
    ["setsockopt", () => s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)],
    ["ioctl", () => s.ioctl(FIONREAD!, 0)],
    ["setBlocking", () => s.setBlocking(false)],
    ["getInheritable", () => s.getInheritable()],
    ["dup", () => s.dup()],
    ["acceptSync", () => s.acceptSync()],
    ["connectSync", () => s.connectSync(LO)],
    ["sendSync", () => s.sendSync(bytes("x"))],
    ["sendAllSync", () => s.sendAllSync(bytes("x"))],
    ["sendtoSync", () => s.sendtoSync(bytes("x"), LO)],
    ["recvSync", () => s.recvSync(1)],
    ["recvIntoSync", () => s.recvIntoSync(new Uint8Array(1))],
    ["recvfromSync", () => s.recvfromSync(1)],
  ];
  for (const [name, call] of calls) {
    assert.throws(
      call,
      (e: unknown) => e instanceof OSError && e.errno === 9,
      `${name} on a closed socket`,
    );
  }
  assert.equal(s.connectExSync !== undefined, true);
  // The sockets that may have reused the number saw nothing.
  a.sendSync(bytes("intact"));
  assert.equal(text(b.recvSync(16)), "intact");
  b.setTimeout(0);
  assert.throws(() => b.recvSync(1), BlockingIOError);
  a.close();
  b.close();
});

test("10,000 open/close cycles leak no descriptor", () => {
  const before = openFds();
  for (let i = 0; i < 10_000; i++) {
    const s = socket(i % 2 ? AF_INET : UNIX, i % 3 ? SOCK_STREAM : SOCK_DGRAM);
    s.close();
  }
  for (let i = 0; i < 500; i++) {
    const [a, b] = socketpair();
    a.close();
    b.close();
  }
  assert.equal(openFds(), before);
});

test("TCP over IPv4: bind, listen, connect, accept, names, send, recv", () => {
  using srv = listener();
  const addr = srv.getsockname() as { host: string; port: number };
  assert.equal(addr.host, "127.0.0.1");
  assert.ok(addr.port > 0);
  using c = socket();
  c.connectSync(addr);
  const [conn, peer] = srv.acceptSync();
  using _conn = conn;
  assert.deepEqual(peer, c.getsockname());
  assert.deepEqual(c.getpeername(), addr);
  assert.equal(conn.getTimeout(), null);
  c.sendAllSync(bytes("hello world"));
  const buf = new Uint8Array(64);
  let got = 0;
  while (got < 11) got += conn.recvIntoSync(buf.subarray(got));
  assert.equal(text(buf.subarray(0, got)), "hello world");
  c.shutdown(SHUT_WR);
  assert.equal(conn.recvSync(10).byteLength, 0);
});

test("TCP over IPv6 returns four-field addresses", () => {
  using srv = listener(AF_INET6);
  const a = srv.getsockname();
  assert.deepEqual(Object.keys(a).sort(), [
    "flowinfo",
    "host",
    "port",
    "scopeId",
  ]);
  using c = socket(AF_INET6);
  assert.equal(c.connectExSync(a), 0);
  const [conn, peer] = srv.acceptSync();
  assert.equal((peer as { host: string }).host, "::1");
  conn.close();
});

test("connectExSync returns ECONNREFUSED and connectSync throws it", () => {
  using probe = listener();
  const port = (probe.getsockname() as { port: number }).port;
  probe.close();
  using c = socket();
  assert.equal(c.connectExSync({ host: "127.0.0.1", port }), 111);
  using d = socket();
  assert.throws(
    () => d.connectSync({ host: "127.0.0.1", port }),
    ConnectionRefusedError,
  );
});

test("UDP sendto/recvfrom/recvfromInto report the sender", () => {
  using r = socket(AF_INET, SOCK_DGRAM);
  r.bind(LO);
  using s = socket(AF_INET, SOCK_DGRAM);
  s.bind(LO);
  assert.equal(s.sendtoSync(bytes("abc"), r.getsockname()), 3);
  const [data, from] = r.recvfromSync(100);
  assert.equal(text(data), "abc");
  assert.deepEqual(from, s.getsockname());
  s.sendtoSync(bytes("xyz"), 0, r.getsockname());
  const buf = new Uint8Array(10);
  const [n, from2] = r.recvfromIntoSync(buf, 2);
  assert.equal(n, 2);
  assert.equal(text(buf.subarray(0, 2)), "xy");
  assert.deepEqual(from2, s.getsockname());
});

test("unix sockets: path, abstract, autobind and unnamed addresses", () => {
  const [dir, clean] = tempDir();
  try {
    const path = join(dir, "s.sock");
    using a = socket(UNIX, SOCK_DGRAM);
    a.bind(path);
    assert.equal(a.getsockname(), path);
    using b = socket(UNIX, SOCK_DGRAM);
    const abstract = new Uint8Array([
      0,
      ...bytes(`sockets-test-${Math.random()}`),
    ]);
    b.bind(abstract);
    assert.deepEqual(b.getsockname(), abstract);
    using c = socket(UNIX, SOCK_DGRAM);
    c.bind("");
    const auto = c.getsockname() as Uint8Array;
    assert.ok(auto instanceof Uint8Array);
    assert.equal(auto.length, 6);
    assert.equal(auto[0], 0);
    assert.match(text(auto.subarray(1)), /^[0-9a-f]{5}$/);
    using d = socket(UNIX, SOCK_DGRAM);
    d.sendtoSync(bytes("to-path"), path);
    const [m, from] = a.recvfromSync(64);
    assert.equal(text(m), "to-path");
    assert.ok(from === "" || from === null);
    c.sendtoSync(bytes("to-abstract"), abstract);
    const [m2, from2] = b.recvfromSync(64);
    assert.equal(text(m2), "to-abstract");
    assert.deepEqual(from2, auto);
    const [p, q] = socketpair();
    assert.equal(p.getpeername(), "");
    p.close();
    q.close();
  } finally {
    clean();
  }
});

test("Python's socket module talks to ours over TCP and unix", async () => {
  using srv = listener();
  const port = (srv.getsockname() as { port: number }).port;
  const peer = pythonPeer(
    `import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])))
s.sendall(b"from python")
print(s.recv(100).decode())`,
    [String(port)],
  );
  srv.setTimeout(10_000);
  const [conn] = srv.acceptSync();
  conn.setTimeout(10_000);
  const got = conn.recvSync(100);
  assert.equal(text(got), "from python");
  conn.sendAllSync(bytes("from us"));
  assert.equal((await peer.done).trim(), "from us");
  conn.close();
  const [dir, clean] = tempDir();
  try {
    const path = join(dir, "py.sock");
    using u = socket(UNIX, SOCK_DGRAM);
    u.bind(path);
    python(
      `import socket;s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM);s.sendto(b"dgram",${
        JSON.stringify(path)
      })`,
    );
    assert.equal(text(u.recvSync(16)), "dgram");
  } finally {
    clean();
  }
});

test("common options round-trip through setsockopt/getsockopt", () => {
  using s = socket();
  for (const opt of [SO_REUSEADDR, SO_KEEPALIVE]) {
    s.setsockopt(SOL_SOCKET, opt, true);
    assert.equal(s.getsockopt(SOL_SOCKET, opt), 1);
    s.setsockopt(SOL_SOCKET, opt, 0);
    assert.equal(s.getsockopt(SOL_SOCKET, opt), 0);
  }
  s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  assert.equal(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  s.setsockopt(IPPROTO_IP, IP_TTL, 33);
  assert.equal(s.getsockopt(IPPROTO_IP, IP_TTL), 33);
  s.setsockopt(SOL_SOCKET, SO_RCVBUF, 65536);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_RCVBUF), 131072); // Linux doubles
  s.setsockopt(SOL_SOCKET, SO_SNDBUF, 65536);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_SNDBUF), 131072);
  const linger = new Uint8Array(8);
  new DataView(linger.buffer).setInt32(0, 1, true);
  new DataView(linger.buffer).setInt32(4, 7, true);
  s.setsockopt(SOL_SOCKET, SO_LINGER, linger);
  assert.deepEqual(s.getsockopt(SOL_SOCKET, SO_LINGER, 8), linger);
  const tv = new Uint8Array(16);
  new DataView(tv.buffer).setBigInt64(0, 2n, true);
  new DataView(tv.buffer).setBigInt64(8, 500_000n, true);
  s.setsockopt(SOL_SOCKET, SO_RCVTIMEO, tv);
  assert.deepEqual(s.getsockopt(SOL_SOCKET, SO_RCVTIMEO, 16), tv);
  using u = socket(AF_INET, SOCK_DGRAM);
  u.setsockopt(SOL_SOCKET, SO_BROADCAST, true);
  assert.equal(u.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
  using v6 = socket(AF_INET6);
  v6.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
  assert.equal(v6.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY), 1);
  assert.equal(s.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_STREAM);
});

test("setsockopt(null, optlen) passes a NULL pointer of that length", () => {
  using s = socket();
  // The kernel reads optlen bytes from NULL: EFAULT proves both arrived.
  assert.throws(
    () => s.setsockopt(SOL_SOCKET, SO_REUSEADDR, null, 4),
    (e: unknown) => (e as OSError).code === "EFAULT",
  );
  assert.throws(
    () => s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 2 ** 40),
    RangeError,
  );
  assert.throws(
    () => s.setsockopt(SOL_SOCKET, SO_REUSEADDR, "1" as unknown as number),
    TypeError,
  );
  assert.throws(() => s.getsockopt(SOL_SOCKET, SO_LINGER, 0), OSError);
  assert.throws(() => s.getsockopt(SOL_SOCKET, SO_LINGER, 2000), OSError);
});

test("ioctl: FIONREAD counts queued bytes, FIONBIO sets non-blocking, SIOCGIFINDEX reads ifreq", () => {
  const [a, b] = socketpair();
  a.sendAllSync(new Uint8Array(5));
  assert.equal(b.ioctl(FIONREAD!, 0), 5);
  b.recvSync(5);
  b.ioctl(FIONBIO!, 1);
  // The descriptor no longer blocks: recv fails with EAGAIN at once.
  assert.throws(() => b.recvSync(1), BlockingIOError);
  a.close();
  b.close();
  using s = socket(AF_INET, SOCK_DGRAM);
  const ifreq = new Uint8Array(40);
  ifreq.set(bytes("lo"));
  const out = s.ioctl(SIOCGIFINDEX!, ifreq) as Uint8Array;
  assert.equal(out.length, 40);
  const index = new DataView(out.buffer).getInt32(16, true);
  assert.equal(
    index,
    Number(python("import socket;print(socket.if_nametoindex('lo'))")),
  );
});

test("timeout mode: recvSync/acceptSync/sendAllSync throw TimeoutError after the timeout", () => {
  using u = socket(AF_INET, SOCK_DGRAM);
  u.bind(LO);
  u.setTimeout(150);
  assert.equal(u.getBlocking(), false);
  const t0 = performance.now();
  assert.throws(() => u.recvSync(10), (e: unknown) => {
    return e instanceof TimeoutError && e.message === "timed out";
  });
  const took = performance.now() - t0;
  assert.ok(took >= 140 && took < 2000, `took ${took} ms`);
  using srv = listener();
  srv.setTimeout(100);
  assert.throws(() => srv.acceptSync(), TimeoutError);
  const [a, b] = socketpair();
  a.setTimeout(100);
  assert.throws(() => a.sendAllSync(new Uint8Array(8 << 20)), (e: unknown) => {
    return e instanceof TimeoutError &&
      (e as TimeoutError & { bytesSent: number }).bytesSent > 0;
  });
  a.close();
  b.close();
});

test("non-blocking mode: calls that would block throw BlockingIOError", () => {
  using u = socket(AF_INET, SOCK_DGRAM);
  u.bind(LO);
  u.setBlocking(false);
  assert.equal(u.getTimeout(), 0);
  assert.throws(() => u.recvSync(1), (e: unknown) => {
    return e instanceof BlockingIOError && e.code === "EAGAIN";
  });
  using srv = listener();
  srv.setBlocking(false);
  assert.throws(() => srv.acceptSync(), BlockingIOError);
  using c = socket();
  c.setBlocking(false);
  const addr = srv.getsockname();
  const e = c.connectExSync(addr);
  assert.ok(e === 0 || e === errnoCodes.EINPROGRESS, `connect_ex ${e}`);
});

test("blocking mode: recvSync waits for a peer that sends later", async () => {
  using srv = listener();
  const port = (srv.getsockname() as { port: number }).port;
  const peer = pythonPeer(
    `import socket,sys,time
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])))
time.sleep(0.2)
s.sendall(b"late")
s.close()`,
    [String(port)],
  );
  const [conn] = srv.acceptSync();
  const t0 = performance.now();
  assert.equal(text(conn.recvSync(10)), "late");
  assert.ok(performance.now() - t0 > 100);
  conn.close();
  await peer.done;
});

test("accepted sockets take the default timeout; setDefaultTimeout validates", () => {
  assert.equal(getDefaultTimeout(), null);
  try {
    setDefaultTimeout(1234);
    using s = socket();
    assert.equal(s.getTimeout(), 1234);
    const [a, b] = tcpPair();
    assert.equal(b.getTimeout(), 1234);
    a.close();
    b.close();
  } finally {
    setDefaultTimeout(null);
  }
  assert.throws(() => setDefaultTimeout(-1), RangeError);
  assert.throws(() => setDefaultTimeout(NaN), RangeError);
  assert.throws(() => setDefaultTimeout("1" as unknown as number), TypeError);
  using s = socket();
  assert.throws(() => s.setTimeout(-5), RangeError);
  assert.equal(s.getTimeout(), null);
});

test("a closed peer gives BrokenPipeError, never a signal", () => {
  const [a, b] = socketpair();
  b.close();
  assert.throws(() => {
    for (let i = 0; i < 10; i++) a.sendSync(bytes("x"));
  }, BrokenPipeError);
  a.close();
});

test("a reset peer gives ConnectionResetError", () => {
  const [c, s] = tcpPair();
  const linger = new Uint8Array(8);
  new DataView(linger.buffer).setInt32(0, 1, true);
  s.setsockopt(SOL_SOCKET, SO_LINGER, linger); // close() sends RST
  c.sendAllSync(bytes("unread"));
  s.close();
  assert.throws(() => c.recvSync(10), ConnectionResetError);
  c.close();
});

test("EINTR is retried (PEP 475) and the deadline is kept", () => {
  using u = socket(AF_INET, SOCK_DGRAM);
  u.bind(LO);
  const seam = libc as { -readonly [K in keyof typeof libc]: typeof libc[K] };
  const real = libc.recv;
  let calls = 0;
  // Fault injection through the seam: the first three recv calls fail
  // with EINTR, as if a signal arrived.
  seam.recv = ((...args: Parameters<typeof real>) => {
    if (++calls <= 3) {
      setErrno(errnoCodes.EINTR);
      return -1;
    }
    return real(...args);
  }) as typeof real;
  try {
    const peer = socket(AF_INET, SOCK_DGRAM);
    peer.sendtoSync(bytes("after eintr"), u.getsockname());
    peer.close();
    assert.equal(text(u.recvSync(64)), "after eintr");
    assert.equal(calls, 4);
    u.setTimeout(100);
    calls = -1000; // every call fails with EINTR now
    const t0 = performance.now();
    seam.recv = ((..._args: Parameters<typeof real>) => {
      setErrno(errnoCodes.EAGAIN);
      return -1;
    }) as typeof real;
    assert.throws(() => u.recvSync(1), TimeoutError);
    assert.ok(performance.now() - t0 < 2000);
  } finally {
    seam.recv = real;
  }
});

test("Python-like inspect output", () => {
  using s = socket();
  s.bind(LO);
  const port = (s.getsockname() as { port: number }).port;
  assert.equal(
    String(s),
    `<Socket fd=${s.fileno()} family=AF_INET type=SOCK_STREAM proto=0 laddr=127.0.0.1:${port}>`,
  );
  s.close();
  assert.match(String(s), /^<Socket \[closed\] fd=-1 family=AF_INET/);
});

test("argument errors are TypeError/RangeError before any system call", () => {
  using s = socket();
  assert.throws(() => s.recvSync(-1), RangeError);
  assert.throws(() => s.recvSync("1" as unknown as number), TypeError);
  assert.throws(() => s.recvIntoSync(new Uint8Array(4), 5), RangeError);
  assert.throws(() => s.recvIntoSync(new Uint8Array(4), -1), RangeError);
  assert.throws(() => s.recvIntoSync("x" as unknown as Uint8Array), TypeError);
  assert.throws(() => s.sendSync("text" as unknown as Uint8Array), TypeError);
  assert.throws(() => s.bind({ host: "127.0.0.1", port: 70000 }), RangeError);
  assert.throws(
    () =>
      s.bind({ host: 1, port: 1 } as unknown as { host: string; port: number }),
    TypeError,
  );
  assert.throws(
    () => s.bind("nope" as unknown as { host: string; port: number }),
    TypeError,
  );
  using u = socket(UNIX, SOCK_STREAM);
  assert.throws(() => u.bind("x".repeat(200)), OSError);
});

test("fuzz: random values at every address-taking call fail cleanly", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  // Hosts stay on loopback or are unresolvable without a query: glibc
  // rejects names with "~" before asking any resolver.
  const hosts = [
    "127.0.0.1",
    "::1",
    "",
    "~bad~",
    "1.2.3.~",
    "300.1.1.1",
    "::1%~",
    "\0",
    "x~".repeat(300),
    "127.0.0.1\0",
  ];
  const scalar = () =>
    pick<unknown>([
      undefined,
      null,
      NaN,
      -0,
      Infinity,
      -1,
      2 ** 53,
      65536,
      Math.floor(rnd() * 70000),
      1.5,
      "",
      "~",
      true,
      1n,
      Symbol("s"),
      [],
      {},
      new Uint8Array(Math.floor(rnd() * 200)),
      pick(hosts),
    ]);
  const value = (): unknown => {
    switch (Math.floor(rnd() * 5)) {
      case 0:
        return scalar();
      case 1:
        return { host: pick([...hosts, scalar()]), port: scalar() };
      case 2:
        return {
          host: pick(hosts),
          port: Math.floor(rnd() * 70000) - 100,
          flowinfo: scalar(),
          scopeId: scalar(),
        };
      case 3:
        return [pick(hosts), scalar()];
      default:
        return new Uint8Array(
          Array.from({ length: rnd() * 120 }, () => rnd() * 256),
        );
    }
  };
  // Random unix paths are relative: bind them in a scratch directory.
  const [dir, clean] = tempDir();
  const home = process.cwd();
  process.chdir(dir);
  const socks = [
    socket(AF_INET, SOCK_DGRAM),
    socket(AF_INET6, SOCK_DGRAM),
    socket(UNIX, SOCK_DGRAM),
  ];
  const counts = { ok: 0, TypeError: 0, RangeError: 0, OSError: 0 };
  try {
    for (let i = 0; i < 3000; i++) {
      const s = socks[i % 3];
      const v = value();
      const call = pick([
        () => s.bind(v as string),
        () => s.connectExSync(v as string),
        () => s.sendtoSync(new Uint8Array(1), v as string),
      ]);
      try {
        call();
        counts.ok++;
      } catch (e) {
        if (e instanceof OSError) counts.OSError++;
        else if (e instanceof TypeError) counts.TypeError++;
        else if (e instanceof RangeError) counts.RangeError++;
        else throw new Error(`unexpected ${e} for ${String(v)}`);
      }
      if (s.fileno() < 0) throw new Error("socket lost");
      if (i % 100 === 99) {
        // Bound or connected sockets are spent: start over.
        const fam = s.family;
        s.close();
        socks[i % 3] = socket(fam, SOCK_DGRAM);
      }
    }
  } finally {
    for (const s of socks) s.close();
    process.chdir(home);
    clean();
  }
  assert.ok(
    counts.TypeError > 100 && counts.RangeError > 50,
    JSON.stringify(counts),
  );
  assert.ok(counts.OSError > 10, JSON.stringify(counts));
});

test("sendto follows an address object that changes between calls", () => {
  using r1 = socket(AF_INET, SOCK_DGRAM);
  r1.bind(LO);
  using r2 = socket(AF_INET, SOCK_DGRAM);
  r2.bind(LO);
  using s = socket(AF_INET, SOCK_DGRAM);
  const dest = { ...(r1.getsockname() as { host: string; port: number }) };
  s.sendtoSync(bytes("a"), dest);
  dest.port = (r2.getsockname() as { port: number }).port;
  s.sendtoSync(bytes("b"), dest);
  r1.setTimeout(1000);
  r2.setTimeout(1000);
  assert.equal(text(r1.recvSync(8)), "a");
  assert.equal(text(r2.recvSync(8)), "b");
});

test("recvfrom hands out a fresh address object each time", () => {
  using r = socket(AF_INET, SOCK_DGRAM);
  r.bind(LO);
  using s = socket(AF_INET, SOCK_DGRAM);
  s.bind(LO);
  s.sendtoSync(bytes("1"), r.getsockname());
  s.sendtoSync(bytes("2"), r.getsockname());
  const [, a] = r.recvfromSync(8);
  (a as { port: number }).port = 1;
  const [, b] = r.recvfromSync(8);
  assert.notEqual(a, b);
  assert.deepEqual(b, s.getsockname());
  const [p, q] = socketpair(UNIX, SOCK_DGRAM);
  using c = socket(UNIX, SOCK_DGRAM);
  c.bind("");
  const name = c.getsockname() as Uint8Array;
  name[1] = 0x7a;
  assert.notDeepEqual(c.getsockname(), name);
  p.close();
  q.close();
});
