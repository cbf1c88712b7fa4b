import assert from "node:assert/strict";
import { closeSync, openSync, writeSync } from "node:fs";
import { open as openHandle } from "node:fs/promises";
import process from "node:process";
import { join } from "node:path";
import { test } from "./harness.ts";
import {
  bytes,
  openFds,
  type Peer,
  python,
  pythonPeer,
  sleep,
  tempDir,
  text,
} from "./_util.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  type AncData,
  BlockingIOError,
  BrokenPipeError,
  cmsg,
  CMSG_LEN,
  CMSG_SPACE,
  IP_PKTINFO,
  IP_RECVTOS,
  IP_TOS,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_RECVTCLASS,
  IPV6_TCLASS,
  IPV6_UNICAST_HOPS,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_PEEK,
  MSG_TRUNC,
  type OSError,
  recvFds,
  recvFdsSync,
  SCM_CREDENTIALS,
  SCM_RIGHTS,
  SCM_TIMESTAMP,
  SCM_TIMESTAMPNS,
  sendFds,
  sendFdsSync,
  SHUT_WR,
  SO_PASSCRED,
  SO_SNDBUF,
  SO_TIMESTAMP,
  SO_TIMESTAMPNS,
  SOCK_DGRAM,
  SOCK_STREAM,
  Socket,
  socket,
  socketpair,
  SOL_SOCKET,
  TimeoutError,
} from "../mod.ts";
import { libc } from "../ffi/sys.ts";
import { C, layout } from "../constants/mod.ts";

const UNIX = AF_UNIX!;
const LO = { host: "127.0.0.1", port: 0 };
const LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function dgramPair(): [Socket, Socket] {
  return socketpair(UNIX, SOCK_DGRAM);
}

function udp(family = AF_INET): Socket {
  const s = socket(family, SOCK_DGRAM);
  s.bind(family === AF_INET ? LO : { host: "::1", port: 0 });
  return s;
}

function tcpPair(): [Socket, Socket] {
  using srv = socket(AF_INET, SOCK_STREAM);
  srv.bind(LO);
  srv.listen();
  const c = socket(AF_INET, SOCK_STREAM);
  c.connectSync(srv.getsockname());
  const [a] = srv.acceptSync();
  return [c, a];
}

function ipv6Works(): boolean {
  try {
    using s = socket(AF_INET6, SOCK_DGRAM);
    s.bind({ host: "::1", port: 0 });
    return true;
  } catch {
    return false;
  }
}
const NO_IPV6 = ipv6Works() ? false : "no IPv6 loopback here";

/** Whether `fd` is open in this process. */
function isOpen(fd: number): boolean {
  return libc.fcntl(fd, C.F_GETFD, 0) !== -1;
}

function closeFds(fds: readonly number[]): void {
  for (const fd of fds) libc.close(fd);
}

/** `n` connected socket pairs: the first ends are passed, the second kept. */
function pairs(n: number): [Socket, Socket][] {
  return Array.from({ length: n }, () => socketpair());
}

/**
 * Checks that each received descriptor is a working duplicate of the
 * passed pair's first end: a byte written through it arrives at the
 * pair's second end.
 */
function checkPassed(fds: readonly number[], ps: [Socket, Socket][]): void {
  assert.equal(fds.length, ps.length);
  fds.forEach((fd, i) => {
    using s = new Socket(undefined, undefined, undefined, fd);
    s.sendAllSync(new Uint8Array([i]));
    assert.deepEqual(ps[i][1].recvSync(4), new Uint8Array([i]));
  });
}

// ---- recvmsg / sendmsg ----------------------------------------------------

test("recvmsgIntoSync() scatters 'Mary had a little lamb' across [b1, b2.subarray(2, 9), b3]", () => {
  const [a, b] = socketpair();
  const b1 = new Uint8Array(5);
  const b2 = new Uint8Array(16);
  const b3 = new Uint8Array(64);
  a.sendAllSync(bytes("Mary had a little lamb"));
  const r = b.recvmsgIntoSync([b1, b2.subarray(2, 9), b3]);
  assert.equal(r.nbytes, 22);
  assert.deepEqual(r.ancdata, []);
  assert.equal(r.flags, 0);
  assert.equal(text(b1), "Mary ");
  assert.equal(text(b2.subarray(2, 9)), "had a l");
  assert.deepEqual([...b2.subarray(0, 2), ...b2.subarray(9)], Array(9).fill(0));
  assert.equal(text(b3.subarray(0, 10)), "ittle lamb");
  a.close();
  b.close();
});

test("recvmsgInto() scatters asynchronously and returns nbytes", async () => {
  const [a, b] = dgramPair();
  const b1 = new Uint8Array(4);
  const b2 = new Uint8Array(32);
  const pending = b.recvmsgInto([b1, b2.subarray(3)]);
  await a.send(bytes("Mary had a little lamb"));
  const r = await pending;
  assert.equal(r.nbytes, 22);
  assert.equal(text(b1) + text(b2.subarray(3, 21)), "Mary had a little lamb");
  a.close();
  b.close();
});

test("sendmsgSync() gathers buffers, views and empty parts into one datagram", () => {
  const [a, b] = dgramPair();
  const big = bytes("xxlittle lambxx");
  const n = a.sendmsgSync([
    bytes("Mary "),
    new Uint8Array(0),
    bytes("had a "),
    big.subarray(2, 13),
  ]);
  assert.equal(n, 22);
  const r = b.recvmsgSync(64);
  assert.equal(text(r.data), "Mary had a little lamb");
  assert.equal(r.address, null);
  a.close();
  b.close();
});

test("sendmsg() to an address and recvmsg() return the UDP sender's address", async () => {
  using r = udp();
  using s = udp();
  const sent = await s.sendmsg(
    [bytes("to "), bytes("you")],
    [],
    0,
    r.getsockname(),
  );
  assert.equal(sent, 6);
  const m = await r.recvmsg(64);
  assert.equal(text(m.data), "to you");
  assert.deepEqual(m.address, s.getsockname());
  s.sendmsgSync([bytes("sync")], [], 0, r.getsockname());
  assert.deepEqual(r.recvmsgSync(64).address, s.getsockname());
});

test("sendmsg() takes { signal } in place of the address", async () => {
  const [a, b] = dgramPair();
  const ac = new AbortController();
  assert.equal(await a.sendmsg([bytes("hi")], [], 0, { signal: ac.signal }), 2);
  assert.equal(text(b.recvSync(8)), "hi");
  ac.abort();
  await assert.rejects(
    a.sendmsg([bytes("no")], [], 0, { signal: ac.signal }),
    (e: Error) => e.name === "AbortError",
  );
  b.setTimeout(0);
  assert.throws(() => b.recvSync(8), BlockingIOError);
  a.close();
  b.close();
});

test("recvmsg() with MSG_PEEK leaves the data queued", async () => {
  const [a, b] = dgramPair();
  a.sendSync(bytes("peekaboo"));
  assert.equal(text(b.recvmsgSync(64, 0, MSG_PEEK).data), "peekaboo");
  assert.equal(text((await b.recvmsg(4, 0, MSG_PEEK)).data), "peek");
  assert.equal(text(b.recvmsgSync(64).data), "peekaboo");
  a.close();
  b.close();
});

test("recvmsg() of a short buffer on a datagram socket reports MSG_TRUNC", async () => {
  const [a, b] = dgramPair();
  a.sendSync(bytes("0123456789"));
  const r = b.recvmsgSync(4);
  assert.equal(text(r.data), "0123");
  assert.equal(r.flags & MSG_TRUNC, MSG_TRUNC);
  a.sendSync(bytes("0123456789"));
  const into = new Uint8Array(3);
  const r2 = await b.recvmsgInto([into], 0, MSG_TRUNC);
  assert.equal(r2.nbytes, 10, "MSG_TRUNC as a flag reports the real length");
  assert.equal(text(into), "012");
  assert.equal(r2.flags & MSG_TRUNC, MSG_TRUNC);
  a.close();
  b.close();
});

test("recvmsg() at end of stream returns empty data", async () => {
  const [a, b] = tcpPair();
  a.shutdown(SHUT_WR);
  const r = b.recvmsgSync(16);
  assert.equal(r.data.byteLength, 0);
  assert.equal(r.address, null);
  assert.equal((await b.recvmsg(16)).data.byteLength, 0);
  a.close();
  b.close();
});

test("recvmsgSync() and recvmsg() throw TimeoutError when the socket's timeout expires", async () => {
  const [a, b] = dgramPair();
  b.setTimeout(30);
  assert.throws(() => b.recvmsgSync(8), TimeoutError);
  assert.throws(() => b.recvmsgIntoSync([new Uint8Array(8)]), TimeoutError);
  await assert.rejects(b.recvmsg(8), TimeoutError);
  b.setTimeout(0);
  assert.throws(() => b.recvmsgSync(8), BlockingIOError);
  a.close();
  b.close();
});

test("an aborted or timed-out async recvmsg() consumes nothing", async () => {
  const [a, b] = dgramPair();
  const ac = new AbortController();
  const pending = b.recvmsg(64, CMSG_SPACE(4), 0, { signal: ac.signal });
  await sleep(10);
  ac.abort();
  await assert.rejects(pending, (e: Error) => e.name === "AbortError");
  b.setTimeout(20);
  await assert.rejects(b.recvmsgInto([new Uint8Array(8)]), TimeoutError);
  a.sendmsgSync([bytes("still here")], [cmsg.rights([a.fileno()])]);
  b.setTimeout(null);
  const r = b.recvmsgSync(64, CMSG_SPACE(4));
  assert.equal(text(r.data), "still here");
  const fds = cmsg.decodeRights(r.ancdata[0]);
  assert.equal(fds.length, 1);
  closeFds(fds);
  a.close();
  b.close();
});

test("argument errors are thrown before any system call and consume nothing", async () => {
  const [a, b] = dgramPair();
  a.sendSync(bytes("keep"));
  assert.throws(() => b.recvmsgSync(-1), RangeError);
  assert.throws(() => b.recvmsgSync(1.5), TypeError);
  assert.throws(() => b.recvmsgSync(8, -1), RangeError);
  assert.throws(() => b.recvmsgSync(8, 0, 2 ** 40), RangeError);
  assert.throws(() => b.recvmsgSync("8" as unknown as number), TypeError);
  assert.throws(
    () => b.recvmsgIntoSync(new Uint8Array(8) as unknown as Uint8Array[]),
    TypeError,
  );
  assert.throws(
    () => b.recvmsgIntoSync([new Uint8Array(8), "x" as unknown as Uint8Array]),
    TypeError,
  );
  await assert.rejects(b.recvmsg(-5), RangeError);
  await assert.rejects(
    b.recvmsgInto(null as unknown as Uint8Array[]),
    TypeError,
  );
  assert.throws(
    () => a.sendmsgSync(bytes("x") as unknown as Uint8Array[]),
    TypeError,
  );
  assert.throws(
    () => a.sendmsgSync([bytes("x")], [{ level: 1, type: 1 } as AncData]),
    TypeError,
  );
  assert.throws(
    () =>
      a.sendmsgSync([bytes("x")], [{
        level: 2 ** 31,
        type: 1,
        data: new Uint8Array(4),
      }]),
    RangeError,
  );
  assert.throws(
    () => a.sendmsgSync([bytes("x")], [[1, 1] as unknown as AncData]),
    TypeError,
  );
  assert.throws(
    () => a.sendmsgSync([bytes("x")], 5 as unknown as AncData[]),
    TypeError,
  );
  assert.throws(
    () => a.sendmsgSync([bytes("x")], [], 0, { host: 1 } as never),
    TypeError,
  );
  assert.throws(() => sendFdsSync(a, [bytes("x")], [1.5]), TypeError);
  assert.throws(() => recvFdsSync(b, 8, -1), RangeError);
  assert.throws(() => recvFdsSync({} as Socket, 8, 1), TypeError);
  assert.equal(text(b.recvSync(8)), "keep");
  a.close();
  b.close();
  assert.throws(() => b.recvmsgSync(8), (e: OSError) => e.code === "EBADF");
  await assert.rejects(
    a.sendmsg([bytes("x")]),
    (e: OSError) => e.code === "EBADF",
  );
});

test("kernel-returned lengths larger than the buffers are clamped", () => {
  const [a, b] = dgramPair();
  // deno-lint-ignore no-explicit-any
  const l = libc as any;
  const real = l.recvmsg;
  const M = layout.msghdr;
  l.recvmsg = (fd: number, msg: Uint8Array, flags: number): number => {
    const n = real(fd, msg, flags);
    const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    v.setUint32(M.msg_namelen, 0xffffffff, LE);
    v.setUint32(M.msg_controllen + (LE ? 4 : 0), 0x7fff, LE);
    return n;
  };
  try {
    a.sendmsgSync([bytes("clamped")], [cmsg.rights([a.fileno()])]);
    const r = b.recvmsgSync(64, CMSG_SPACE(4));
    assert.equal(text(r.data), "clamped");
    assert.equal(r.ancdata.length, 1);
    closeFds(cmsg.decodeRights(r.ancdata[0]));
    // A namelen past the buffer decodes the (zeroed) buffer: AF_UNSPEC.
    assert.equal((r.address as { family: number }).family, 0);
  } finally {
    l.recvmsg = real;
  }
  a.close();
  b.close();
});

test("small user buffers keep stable addresses under GC pressure", async () => {
  const [a, b] = dgramPair();
  // deno-lint-ignore no-explicit-any
  const gc: (() => void) | undefined = (globalThis as any).gc ??
    // deno-lint-ignore no-explicit-any
    (globalThis as any).Bun?.gc;
  let junk: unknown[] = [];
  for (let i = 0; i < 600; i++) {
    const msg = new Uint8Array(1 + (i % 63)).fill((i % 250) + 1);
    a.sendmsgSync([msg.subarray(0, 1), msg.subarray(1)]);
    const x = new Uint8Array(1);
    const y = new Uint8Array(Math.max(1, i % 63));
    for (let j = 0; j < 300; j++) junk.push({ j, s: [j] });
    if (i % 100 === 0) {
      junk = [];
      gc?.();
    }
    const r = i % 2 === 0
      ? b.recvmsgIntoSync([x, y])
      : await b.recvmsgInto([x, y]);
    assert.equal(r.nbytes, msg.byteLength);
    assert.equal(x[0], msg[0]);
    assert.ok(y.subarray(0, msg.byteLength - 1).every((v) => v === msg[0]));
  }
  a.close();
  b.close();
});

// ---- descriptor passing ---------------------------------------------------

test("passing one descriptor works: a write through it reaches the other end", () => {
  const [a, b] = socketpair();
  const ps = pairs(1);
  assert.equal(sendFdsSync(a, [bytes("one")], [ps[0][0].fileno()]), 3);
  const r = recvFdsSync(b, 16, 1);
  assert.equal(text(r.data), "one");
  assert.equal(r.flags, 0);
  checkPassed(r.fds, ps);
  for (const s of [a, b, ...ps.flat()]) s.close();
});

test("passing ten descriptors works asynchronously, in order", async () => {
  const [a, b] = socketpair();
  const ps = pairs(10);
  const pending = recvFds(b, 16, 10);
  await sendFds(a, [bytes("ten")], ps.map(([x]) => x.fileno()));
  const r = await pending;
  assert.equal(text(r.data), "ten");
  checkPassed(r.fds, ps);
  for (const s of [a, b, ...ps.flat()]) s.close();
});

test("received descriptors are close-on-exec and MSG_CMSG_CLOEXEC stays hidden", () => {
  const [a, b] = socketpair();
  sendFdsSync(a, [bytes("c")], [a.fileno()]);
  const r = b.recvmsgSync(4, CMSG_SPACE(4));
  assert.equal(r.flags & MSG_CMSG_CLOEXEC!, 0);
  const [fd] = cmsg.decodeRights(r.ancdata[0]);
  assert.equal(libc.fcntl(fd, C.F_GETFD, 0) & C.FD_CLOEXEC, C.FD_CLOEXEC);
  libc.close(fd);
  sendFdsSync(a, [bytes("c")], [a.fileno()]);
  const asked = b.recvmsgSync(4, CMSG_SPACE(4), MSG_CMSG_CLOEXEC!);
  assert.equal(asked.flags & MSG_CMSG_CLOEXEC!, MSG_CMSG_CLOEXEC);
  closeFds(cmsg.decodeRights(asked.ancdata[0]));
  a.close();
  b.close();
});

test("a too-small ancillary buffer gives MSG_CTRUNC and leaks no descriptor", async () => {
  const [a, b] = socketpair();
  const ps = pairs(10);
  const passed = ps.map(([x]) => x.fileno());
  const before = openFds();

  sendFdsSync(a, [bytes("1")], passed);
  const r = b.recvmsgSync(4, CMSG_LEN(2 * 4));
  assert.equal(r.flags & MSG_CTRUNC, MSG_CTRUNC);
  assert.equal(r.ancdata.length, 1);
  const got = cmsg.decodeRights(r.ancdata[0]);
  assert.equal(got.length, 2, "the two that fit arrive and are the caller's");
  closeFds(got);
  assert.equal(openFds(), before);

  sendFdsSync(a, [bytes("2")], passed);
  const t = recvFdsSync(b, 4, 3);
  assert.equal(t.flags & MSG_CTRUNC, MSG_CTRUNC);
  assert.deepEqual(t.fds, [], "recvFds closes a truncated set");
  assert.equal(openFds(), before);

  sendFdsSync(a, [bytes("3")], passed);
  const none = b.recvmsgSync(4);
  assert.equal(none.flags & MSG_CTRUNC, MSG_CTRUNC);
  assert.deepEqual(none.ancdata, []);
  assert.equal(openFds(), before);

  await sendFds(a, [bytes("4")], passed.slice(0, 3));
  const odd = await recvFds(b, 4, 3);
  assert.equal(odd.fds.length, 3);
  closeFds(odd.fds);
  assert.equal(openFds(), before);
  for (const s of [a, b, ...ps.flat()]) s.close();
});

test("descriptors pass from a Python peer (socket.send_fds) and back (socket.recv_fds)", async () => {
  const [dir, cleanup] = tempDir();
  const path = join(dir, "fds.sock");
  using srv = socket(UNIX, SOCK_STREAM);
  srv.bind(path);
  srv.listen();
  srv.setTimeout(10_000);
  const peer = pythonPeer(
    `
import socket, sys
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[1])
p, q = socket.socketpair()
socket.send_fds(c, [b"from python"], [p.fileno()])
p.close()
print(q.recv(100).decode(), flush=True)
msg, fds, flags, addr = socket.recv_fds(c, 100, 2)
s = socket.socket(fileno=fds[0])
s.sendall(b"through " + msg)
print(len(fds), flags)
`,
    [path],
  );
  try {
    const [conn] = srv.acceptSync();
    conn.setTimeout(10_000);
    const r = recvFdsSync(conn, 100, 4);
    assert.equal(text(r.data), "from python");
    assert.equal(r.fds.length, 1);
    using theirs = new Socket(undefined, undefined, undefined, r.fds[0]);
    theirs.sendAllSync(bytes("hello python"));
    theirs.close();
    const [x, y] = socketpair();
    y.setTimeout(10_000);
    await sendFds(conn, [bytes("js")], [x.fileno()]);
    x.close();
    assert.equal(text(y.recvSync(100)), "through js");
    const out = (await peer.done).trim().split("\n");
    assert.deepEqual(out, ["hello python", "1 0"]);
    y.close();
    conn.close();
  } finally {
    peer.child.kill();
    cleanup();
  }
});

// ---- credentials and IP-level items ----------------------------------------

test("SCM_CREDENTIALS carries the sender's pid, uid and gid (Python peer and self)", async () => {
  const [dir, cleanup] = tempDir();
  const path = join(dir, "cred.sock");
  using r = socket(UNIX, SOCK_DGRAM);
  r.bind(path);
  r.setsockopt(SOL_SOCKET, SO_PASSCRED!, 1);
  r.setTimeout(10_000);
  try {
    const peer = pythonPeer(
      `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"creds", sys.argv[1])
print(os.getpid())
`,
      [path],
    );
    const m = r.recvmsgSync(16, CMSG_SPACE(layout.ucred.size));
    const pid = Number((await peer.done).trim());
    assert.equal(text(m.data), "creds");
    assert.equal(m.ancdata.length, 1);
    assert.equal(m.ancdata[0].level, SOL_SOCKET);
    assert.equal(m.ancdata[0].type, SCM_CREDENTIALS);
    assert.deepEqual(cmsg.decodeCredentials(m.ancdata[0]), {
      pid,
      uid: process.getuid!(),
      gid: process.getgid!(),
    });

    using s = socket(UNIX, SOCK_DGRAM);
    const mine = {
      pid: process.pid,
      uid: process.getuid!(),
      gid: process.getgid!(),
    };
    await s.sendmsg([bytes("me")], [cmsg.credentials(mine)], 0, path);
    const own = await r.recvmsg(16, CMSG_SPACE(layout.ucred.size));
    assert.deepEqual(cmsg.decodeCredentials(own.ancdata[0]), mine);
  } finally {
    cleanup();
  }
});

test("IP_PKTINFO items decode to the interface and the destination address", async () => {
  using r = udp();
  using s = udp();
  r.setsockopt(IPPROTO_IP, IP_PKTINFO!, 1);
  s.sendtoSync(bytes("pkt"), r.getsockname());
  const m = r.recvmsgSync(16, CMSG_SPACE(layout.in_pktinfo.size));
  assert.equal(m.ancdata.length, 1);
  assert.equal(m.ancdata[0].level, IPPROTO_IP);
  assert.equal(m.ancdata[0].type, IP_PKTINFO);
  const info = cmsg.decodePktinfo(m.ancdata[0]);
  assert.equal(info.addr, "127.0.0.1");
  assert.equal(info.specDst, "127.0.0.1");
  assert.ok(info.ifindex > 0);
  // Sending with a source chosen by IP_PKTINFO.
  await s.sendmsg(
    [bytes("from")],
    [cmsg.pktinfo({ specDst: "127.0.0.1" })],
    0,
    r.getsockname(),
  );
  const back = await r.recvmsg(16, CMSG_SPACE(layout.in_pktinfo.size));
  assert.equal(text(back.data), "from");
  assert.deepEqual(back.address, s.getsockname());
});

test("IP_RECVTOS gives the sender's TOS byte; a TOS item sets it per packet", () => {
  using r = udp();
  using s = udp();
  r.setsockopt(IPPROTO_IP, IP_RECVTOS!, 1);
  s.setsockopt(IPPROTO_IP, IP_TOS, 0x10);
  s.sendtoSync(bytes("tos"), r.getsockname());
  const m = r.recvmsgSync(16, CMSG_SPACE(4));
  assert.equal(m.ancdata.length, 1);
  assert.equal(m.ancdata[0].type, IP_TOS);
  assert.equal(m.ancdata[0].data.byteLength, 1);
  assert.equal(cmsg.decodeInt(m.ancdata[0]), 0x10);
  s.sendmsgSync([bytes("t2")], [cmsg.tos(0x28)], 0, r.getsockname());
  assert.equal(
    cmsg.decodeInt(r.recvmsgSync(16, CMSG_SPACE(4)).ancdata[0]),
    0x28,
  );
});

test("IPV6_PKTINFO, IPV6_HOPLIMIT and IPV6_TCLASS items decode", () => {
  using r = udp(AF_INET6);
  using s = udp(AF_INET6);
  r.setsockopt(IPPROTO_IPV6, IPV6_RECVPKTINFO!, 1);
  r.setsockopt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT!, 1);
  r.setsockopt(IPPROTO_IPV6, IPV6_RECVTCLASS!, 1);
  s.setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 7);
  s.setsockopt(IPPROTO_IPV6, IPV6_TCLASS!, 0x20);
  s.sendtoSync(bytes("six"), r.getsockname());
  const space = CMSG_SPACE(layout.in6_pktinfo.size) + 2 * CMSG_SPACE(4);
  const m = r.recvmsgSync(16, space);
  assert.equal(m.flags & MSG_CTRUNC, 0);
  const by = new Map(m.ancdata.map((it) => [it.type, it]));
  assert.deepEqual(
    [...by.keys()].sort(),
    [IPV6_HOPLIMIT!, IPV6_PKTINFO, IPV6_TCLASS!].sort(),
  );
  for (const it of m.ancdata) assert.equal(it.level, IPPROTO_IPV6);
  const info = cmsg.decodePktinfo(by.get(IPV6_PKTINFO!)!);
  assert.equal(info.addr, "::1");
  assert.ok(info.ifindex > 0);
  assert.equal(cmsg.decodeInt(by.get(IPV6_HOPLIMIT!)!), 7);
  assert.equal(cmsg.decodeInt(by.get(IPV6_TCLASS!)!), 0x20);
  // Per-packet items override the socket's settings.
  s.sendmsgSync(
    [bytes("again")],
    [cmsg.hopLimit(9), cmsg.trafficClass(0x40), cmsg.pktinfo6({ addr: "::1" })],
    0,
    r.getsockname(),
  );
  const m2 = r.recvmsgSync(16, space);
  const by2 = new Map(m2.ancdata.map((it) => [it.type, it]));
  assert.equal(cmsg.decodeInt(by2.get(IPV6_HOPLIMIT!)!), 9);
  assert.equal(cmsg.decodeInt(by2.get(IPV6_TCLASS!)!), 0x40);
}, { ignore: NO_IPV6 });

test("SO_TIMESTAMP and SO_TIMESTAMPNS items decode to the current time", () => {
  using r = udp();
  using s = udp();
  r.setsockopt(SOL_SOCKET, SO_TIMESTAMP!, 1);
  s.sendtoSync(bytes("t"), r.getsockname());
  const m = r.recvmsgSync(4, CMSG_SPACE(layout.timeval.size));
  assert.equal(m.ancdata[0].type, SCM_TIMESTAMP);
  const t = cmsg.decodeTimestamp(m.ancdata[0]);
  assert.ok(Math.abs(t.sec + t.nsec / 1e9 - Date.now() / 1000) < 5);
  assert.equal(t.nsec % 1000, 0, "a timeval has microseconds");
  r.setsockopt(SOL_SOCKET, SO_TIMESTAMPNS!, 1);
  s.sendtoSync(bytes("t"), r.getsockname());
  const n = r.recvmsgSync(4, CMSG_SPACE(layout.timespec.size));
  assert.equal(n.ancdata[0].type, SCM_TIMESTAMPNS);
  const tn = cmsg.decodeTimestamp(n.ancdata[0]);
  assert.ok(Math.abs(tn.sec - Date.now() / 1000) < 5);
  assert.ok(tn.nsec >= 0 && tn.nsec < 1e9);
});

// ---- the cmsg codecs ---------------------------------------------------------

test("CMSG_LEN() and CMSG_SPACE() equal Python's and throw RangeError out of range", () => {
  const M = 2 ** 31 - 1;
  const ns = [0, 1, 2, 3, 4, 7, 8, 9, 12, 15, 16, 17, 20, 100, 1000, 65535];
  const edges = [M - 16, M - 15, M - 24, M - 23, M - 25, M, 2 ** 40];
  const py = JSON.parse(python(`
import json, socket
def f(fn, n):
    try: return fn(n)
    except OverflowError: return None
ns = ${JSON.stringify([...ns, ...edges])}
print(json.dumps([[f(socket.CMSG_LEN, n), f(socket.CMSG_SPACE, n)] for n in ns]))
`)) as [number | null, number | null][];
  [...ns, ...edges].forEach((n, i) => {
    const [len, space] = py[i];
    if (len === null) {
      assert.throws(() => CMSG_LEN(n), RangeError, `CMSG_LEN(${n})`);
    } else assert.equal(CMSG_LEN(n), len, `CMSG_LEN(${n})`);
    if (space === null) {
      assert.throws(() => CMSG_SPACE(n), RangeError, `CMSG_SPACE(${n})`);
    } else assert.equal(CMSG_SPACE(n), space, `CMSG_SPACE(${n})`);
  });
  assert.throws(() => CMSG_LEN(-1), RangeError);
  assert.throws(() => CMSG_SPACE(-1), RangeError);
  assert.throws(() => CMSG_LEN(1.5), TypeError);
  assert.throws(() => CMSG_SPACE("4" as unknown as number), TypeError);
});

test("cmsg encoders and decoders round-trip through a control buffer", () => {
  const items = [
    cmsg.rights([3, 4, 5]),
    cmsg.credentials({ pid: 12, uid: 34, gid: 56 }),
    cmsg.pktinfo({ ifindex: 2, specDst: "10.0.0.1", addr: "10.0.0.2" }),
    cmsg.pktinfo6({ ifindex: 3, addr: "fe80::1" }),
    cmsg.hopLimit(64),
    { level: 7, type: 9, data: new Uint8Array(0) },
  ];
  const raw = cmsg.encode(items);
  assert.equal(
    raw.byteLength,
    items.reduce((n, it) => n + CMSG_SPACE(it.data.byteLength), 0),
  );
  const back = cmsg.decode(raw);
  assert.deepEqual(back, items);
  assert.deepEqual(cmsg.decodeRights(back[0]), [3, 4, 5]);
  assert.deepEqual(cmsg.decodeCredentials(back[1]), {
    pid: 12,
    uid: 34,
    gid: 56,
  });
  assert.deepEqual(cmsg.decodePktinfo(back[2]), {
    ifindex: 2,
    specDst: "10.0.0.1",
    addr: "10.0.0.2",
  });
  assert.deepEqual(cmsg.decodePktinfo(back[3]), {
    ifindex: 3,
    addr: "fe80::1",
  });
  assert.equal(cmsg.decodeInt(back[4]), 64);
  assert.equal(back[0].level, SOL_SOCKET);
  assert.equal(back[0].type, SCM_RIGHTS);
  assert.throws(() => cmsg.decodeRights(back[1]), TypeError);
  assert.throws(
    () => cmsg.decodeCredentials({ ...back[1], data: new Uint8Array(4) }),
    RangeError,
  );
  assert.throws(() => cmsg.pktinfo({ specDst: "300.1.1.1" }), RangeError);
  assert.throws(() => cmsg.rights([2 ** 31]), RangeError);
  assert.throws(
    () => cmsg.credentials({ pid: 1, uid: -1, gid: 0 }),
    RangeError,
  );
  // The layout matches Python's own packing of the same items.
  const py = python(`
import socket, struct, array
print(socket.CMSG_SPACE(12) + socket.CMSG_SPACE(struct.calcsize("iII")))
`);
  assert.equal(
    Number(py),
    cmsg.encode([
      cmsg.rights([1, 2, 3]),
      cmsg.credentials({ pid: 1, uid: 2, gid: 3 }),
    ])
      .byteLength,
  );
});

/** Writes a cmsg header field by field as the layout says. */
function header(
  v: DataView,
  at: number,
  len: number | bigint,
  level = 1,
  type = 1,
): void {
  const H = layout.cmsghdr;
  if (H.cmsg_level - H.cmsg_len >= 8) {
    v.setBigUint64(at + H.cmsg_len, BigInt(len), LE);
  } else v.setUint32(at + H.cmsg_len, Number(len), LE);
  v.setInt32(at + H.cmsg_level, level, LE);
  v.setInt32(at + H.cmsg_type, type, LE);
}

test("cmsg.decode() handles cmsg_len beyond the buffer, below a header, zero and huge", () => {
  const HDR = CMSG_LEN(0);
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  // Item data runs past the end: returned as far as it lies inside.
  header(v, 0, HDR + 100);
  b.fill(7, HDR);
  const cut = cmsg.decode(b);
  assert.equal(cut.length, 1);
  assert.equal(cut[0].data.byteLength, 64 - HDR);
  // A second item whose length runs past the end is cut the same way.
  b.fill(0);
  header(v, 0, HDR + 4);
  header(v, CMSG_SPACE(4), HDR + 1000, 5, 6);
  const two = cmsg.decode(b);
  assert.equal(two.length, 2);
  assert.equal(two[1].level, 5);
  assert.equal(two[1].data.byteLength, 64 - CMSG_SPACE(4) - HDR);
  // cmsg_len below a header, or zero, ends the list.
  for (const len of [0, 1, HDR - 1]) {
    b.fill(0);
    header(v, 0, HDR + 4);
    header(v, CMSG_SPACE(4), len);
    assert.equal(cmsg.decode(b).length, 1, `cmsg_len ${len}`);
  }
  // A huge cmsg_len (2^63) is clamped, not trusted.
  b.fill(0);
  header(v, 0, 2n ** 63n);
  assert.equal(cmsg.decode(b)[0].data.byteLength, 64 - HDR);
  // Too short for a header: nothing.
  assert.deepEqual(cmsg.decode(b.subarray(0, HDR - 1)), []);
  assert.deepEqual(cmsg.decode(new Uint8Array(0)), []);
  assert.throws(() => cmsg.decode("x" as unknown as Uint8Array), TypeError);
});

test("cmsg.decode() never reads outside its buffer and never throws on random input (fuzz)", () => {
  const HDR = CMSG_LEN(0);
  let seed = 0x9e3779b9;
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const lens = [0, 1, HDR - 1, HDR, HDR + 1, HDR + 4, 200, 0xfefefefe, 2 ** 40];
  for (let round = 0; round < 20_000; round++) {
    const len = rand(160);
    // Sentinels (0xff) around the window; inside, bytes never equal 0xff.
    const outer = new Uint8Array(len + 64).fill(0xff);
    const b = outer.subarray(32, 32 + len);
    for (let i = 0; i < len; i++) b[i] = rand(0xff);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let at = 0; at + HDR <= len; at += CMSG_SPACE(rand(24))) {
      if (rand(3) !== 0) {
        header(v, at, lens[rand(lens.length)], rand(3), rand(3));
      }
    }
    const items = cmsg.decode(b);
    assert.ok(items.length <= Math.floor(len / HDR));
    for (const it of items) {
      assert.ok(it.data.byteLength <= len - HDR);
      assert.ok(!it.data.includes(0xff), "read past the end of the buffer");
    }
  }
});

// ---- sendfile ---------------------------------------------------------------

const MiB = 1 << 20;

/** Writes `size` pseudo-random bytes to a new file in chunks; returns its path. */
function bigFile(dir: string, size: number): string {
  const path = join(dir, "big.bin");
  const fd = openSync(path, "w");
  const chunk = new Uint32Array(MiB / 4);
  let x = 2463534242;
  for (let done = 0; done < size; done += MiB) {
    for (let i = 0; i < chunk.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      chunk[i] = x >>> 0;
    }
    const b = new Uint8Array(chunk.buffer, 0, Math.min(MiB, size - done));
    writeSync(fd, b);
  }
  closeSync(fd);
  return path;
}

/** A Python peer that connects, reads to EOF and compares with the file slice. */
function hashingPeer(
  port: number,
  path: string,
  offset: number,
  count: number,
): Peer {
  return pythonPeer(
    `
import hashlib, socket, sys
port, path, offset, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = socket.create_connection(("127.0.0.1", port))
h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    h.update(b); n += len(b)
with open(path, "rb") as f:
    f.seek(offset)
    want = hashlib.sha256(f.read(count)).hexdigest()
print(n, h.hexdigest() == want)
`,
    [String(port), path, String(offset), String(count)],
  );
}

test("sendfileSync() sends 64 MiB with offset and count, byte for byte (Python peer hashes)", async () => {
  const [dir, cleanup] = tempDir();
  try {
    const path = bigFile(dir, 64 * MiB);
    using srv = socket(AF_INET, SOCK_STREAM);
    srv.bind(LO);
    srv.listen();
    srv.setTimeout(10_000);
    const offset = 12345;
    const count = 64 * MiB - offset - 777;
    const peer = hashingPeer(
      (srv.getsockname() as { port: number }).port,
      path,
      offset,
      count,
    );
    const [conn] = srv.acceptSync();
    const fd = openSync(path, "r");
    try {
      assert.equal(conn.sendfileSync(fd, offset, count), count);
      assert.equal(
        Number(libc.lseek(fd, 0, 1)),
        offset + count,
        "positioned after the last byte sent",
      );
    } finally {
      closeSync(fd);
      conn.close();
    }
    assert.equal((await peer.done).trim(), `${count} True`);
  } finally {
    cleanup();
  }
});

test("sendfile() sends 64 MiB to the end of the file asynchronously (Python peer hashes)", async () => {
  const [dir, cleanup] = tempDir();
  try {
    const path = bigFile(dir, 64 * MiB);
    using srv = socket(AF_INET, SOCK_STREAM);
    srv.bind(LO);
    srv.listen();
    const offset = 3 * MiB + 1;
    const count = 64 * MiB - offset;
    const peer = hashingPeer(
      (srv.getsockname() as { port: number }).port,
      path,
      offset,
      count,
    );
    const [conn] = await srv.accept();
    const fh = await openHandle(path, "r");
    try {
      assert.equal(await conn.sendfile(fh, offset), count);
    } finally {
      await fh.close();
      conn.close();
    }
    assert.equal((await peer.done).trim(), `${count} True`);
  } finally {
    cleanup();
  }
});

test(
  "sendfile() takes a Deno.FsFile and leaves it positioned after the bytes sent",
  async () => {
    const [dir, cleanup] = tempDir();
    // deno-lint-ignore no-explicit-any
    const D = (globalThis as any).Deno;
    try {
      const path = join(dir, "small.txt");
      const fd = openSync(path, "w");
      writeSync(fd, bytes("0123456789abcdef"));
      closeSync(fd);
      const file = D.openSync(path);
      const [a, b] = socketpair();
      try {
        file.seekSync(2, 0);
        assert.equal(await a.sendfile(file, 4, 6), 6);
        assert.equal(text(b.recvSync(16)), "456789");
        assert.equal(file.seekSync(0, 1), 10);
        assert.equal(a.sendfileSync(file), 16);
        assert.equal(text(b.recvSync(32)), "0123456789abcdef");
      } finally {
        file.close();
        a.close();
        b.close();
      }
    } finally {
      cleanup();
    }
  },
  {
    ignore: (globalThis as { Deno?: unknown }).Deno === undefined
      ? "Deno only"
      : false,
  },
);

test("sendfile() copies through send() from a descriptor sendfile(2) cannot take", async () => {
  const [a, b] = socketpair();
  const [src, feed] = socketpair();
  feed.sendAllSync(bytes("streamed through a socket"));
  feed.shutdown(SHUT_WR);
  assert.equal(await a.sendfile(src.fileno()), 25);
  a.shutdown(SHUT_WR);
  assert.equal(text(b.recvSync(64)), "streamed through a socket");
  for (const s of [a, b, src, feed]) s.close();
});

test("sendfileSync() with a timeout throws TimeoutError with bytesSent when the peer stops reading", () => {
  const [dir, cleanup] = tempDir();
  try {
    const path = bigFile(dir, 8 * MiB);
    const [a, b] = socketpair();
    a.setsockopt(SOL_SOCKET, SO_SNDBUF, 65536);
    a.setTimeout(50);
    const fd = openSync(path, "r");
    try {
      assert.throws(
        () => a.sendfileSync(fd),
        (e: TimeoutError & { bytesSent: number }) => {
          assert.ok(e instanceof TimeoutError);
          assert.ok(
            e.bytesSent > 0 && e.bytesSent < 8 * MiB,
            String(e.bytesSent),
          );
          assert.equal(Number(libc.lseek(fd, 0, 1)), e.bytesSent);
          return true;
        },
      );
    } finally {
      closeSync(fd);
      a.close();
      b.close();
    }
  } finally {
    cleanup();
  }
});

test("an aborted async sendfile() rejects with the reason and reports bytesSent", async () => {
  const [dir, cleanup] = tempDir();
  try {
    const path = bigFile(dir, 8 * MiB);
    const [a, b] = socketpair();
    a.setsockopt(SOL_SOCKET, SO_SNDBUF, 65536);
    const fd = openSync(path, "r");
    const ac = new AbortController();
    try {
      const pending = a.sendfile(fd, 0, undefined, { signal: ac.signal });
      await sleep(20);
      ac.abort();
      await assert.rejects(pending, (e: Error & { bytesSent: number }) => {
        assert.equal(e.name, "AbortError");
        assert.ok(
          e.bytesSent > 0 && e.bytesSent < 8 * MiB,
          String(e.bytesSent),
        );
        assert.equal(Number(libc.lseek(fd, 0, 1)), e.bytesSent);
        return true;
      });
    } finally {
      closeSync(fd);
      a.close();
      b.close();
    }
  } finally {
    cleanup();
  }
});

test("sendmsg() to a closed peer throws BrokenPipeError, never a signal", async () => {
  const [a, b] = socketpair();
  b.close();
  assert.throws(() => a.sendmsgSync([bytes("x")]), BrokenPipeError);
  await assert.rejects(a.sendmsg([bytes("x")]), BrokenPipeError);
  a.close();
});

test("sendfile() rejects what Python rejects, before any system call", async () => {
  const [a, b] = socketpair();
  const [d1, d2] = dgramPair();
  assert.throws(() => d1.sendfileSync(0), RangeError);
  await assert.rejects(d1.sendfile(0), RangeError);
  assert.throws(() => a.sendfileSync(0, 0, 0), RangeError);
  assert.throws(() => a.sendfileSync(0, 0, -5), RangeError);
  assert.throws(() => a.sendfileSync(0, 0, 1.5), TypeError);
  assert.throws(() => a.sendfileSync(0, -1), RangeError);
  assert.throws(() => a.sendfileSync(0, 0.5), TypeError);
  assert.throws(() => a.sendfileSync("file" as unknown as number), TypeError);
  assert.throws(() => a.sendfileSync({} as unknown as number), TypeError);
  assert.throws(() => a.sendfileSync(-3), RangeError);
  a.setBlocking(false);
  assert.throws(() => a.sendfileSync(0), RangeError);
  for (const s of [a, b, d1, d2]) s.close();
});

// ---- recvmmsg / sendmmsg -------------------------------------------------------

test("sendmmsgSync() and recvmmsgSync() batch UDP datagrams with their addresses", () => {
  using r = udp();
  using s1 = udp();
  using s2 = udp();
  const to = r.getsockname();
  assert.equal(
    s1.sendmmsgSync([
      { data: bytes("a"), address: to },
      { data: [bytes("b"), bytes("c")], address: to },
      { data: new Uint8Array(0), address: to },
    ]),
    3,
  );
  assert.equal(s2.sendmmsgSync([{ data: bytes("from two"), address: to }]), 1);
  const got = r.recvmmsgSync(16, 64);
  assert.deepEqual(got.map((d) => text(d.data)), ["a", "bc", "", "from two"]);
  assert.deepEqual(got.map((d) => d.address), [
    s1.getsockname(),
    s1.getsockname(),
    s1.getsockname(),
    s2.getsockname(),
  ]);
  assert.notEqual(
    got[0].address,
    got[1].address,
    "each datagram has its own address object",
  );
  assert.deepEqual(got.map((d) => d.flags), [0, 0, 0, 0]);
});

test("recvmmsg() resolves with what is queued, up to count, and reports MSG_TRUNC per datagram", async () => {
  using r = udp();
  using s = udp();
  const to = r.getsockname();
  const pending = r.recvmmsg(4, 5);
  await sleep(5);
  const msgs = ["short", "much too long", "x", "y", "z"].map((t) => ({
    data: bytes(t),
    address: to,
  }));
  assert.equal(await s.sendmmsg(msgs), 5);
  const first = await pending;
  assert.ok(first.length >= 1 && first.length <= 4);
  const rest = await r.recvmmsg(8, 5);
  const all = [...first, ...rest];
  assert.deepEqual(all.map((d) => text(d.data)), [
    "short",
    "much ",
    "x",
    "y",
    "z",
  ]);
  assert.deepEqual(all.map((d) => d.flags & MSG_TRUNC), [
    0,
    MSG_TRUNC,
    0,
    0,
    0,
  ]);
  r.setTimeout(20);
  await assert.rejects(r.recvmmsg(8, 5), TimeoutError);
  assert.throws(() => r.recvmmsgSync(8, 5), TimeoutError);
});

test("recvmmsg()/sendmmsg() over AF_UNIX SOCK_DGRAM give a bound sender's path and null for an unbound one", async () => {
  const [dir, cleanup] = tempDir();
  try {
    using r = socket(UNIX, SOCK_DGRAM);
    r.bind(join(dir, "r.sock"));
    using named = socket(UNIX, SOCK_DGRAM);
    named.bind(join(dir, "s.sock"));
    using anon = socket(UNIX, SOCK_DGRAM);
    const to = join(dir, "r.sock");
    assert.equal(
      await named.sendmmsg([{ data: bytes("1"), address: to }, {
        data: bytes("2"),
        address: to,
      }]),
      2,
    );
    assert.equal(anon.sendmmsgSync([{ data: bytes("3"), address: to }]), 1);
    const got = await r.recvmmsg(8, 16);
    assert.deepEqual(got.map((d) => [text(d.data), d.address]), [
      ["1", join(dir, "s.sock")],
      ["2", join(dir, "s.sock")],
      ["3", null],
    ]);
    // Control messages ride along per message.
    const [x, y] = socketpair();
    r.setTimeout(5000);
    assert.equal(
      named.sendmmsgSync([{
        data: bytes("fd"),
        address: to,
        ancdata: [cmsg.rights([x.fileno()])],
      }]),
      1,
    );
    const m = r.recvmsgSync(8, CMSG_SPACE(4));
    const [fd] = cmsg.decodeRights(m.ancdata[0]);
    assert.ok(isOpen(fd));
    libc.close(fd);
    x.close();
    y.close();
  } finally {
    cleanup();
  }
});

test("recvmmsg() and sendmmsg() validate their arguments before any system call", async () => {
  using r = udp();
  assert.throws(() => r.recvmmsgSync(0, 10), RangeError);
  assert.throws(() => r.recvmmsgSync(2, -1), RangeError);
  assert.throws(() => r.recvmmsgSync(1.5, 10), TypeError);
  await assert.rejects(r.recvmmsg(1, -1), RangeError);
  assert.throws(() => r.sendmmsgSync(5 as unknown as []), TypeError);
  assert.throws(
    () => r.sendmmsgSync([5 as unknown as { data: Uint8Array }]),
    TypeError,
  );
  assert.throws(
    () => r.sendmmsgSync([{ data: "x" as unknown as Uint8Array }]),
    TypeError,
  );
  assert.throws(
    () =>
      r.sendmmsgSync([{
        data: bytes("x"),
        address: { host: "127.0.0.1", port: 70000 },
      }]),
    RangeError,
  );
  assert.equal(r.sendmmsgSync([]), 0);
});
