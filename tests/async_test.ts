import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { runtime, test } from "./harness.ts";
import { bytes, pythonPeer, sleep, tempDir, text } from "./_util.ts";
import {
  AF_INET,
  AF_UNIX,
  BlockingIOError,
  ConnectionRefusedError,
  ConnectionResetError,
  OSError,
  SO_LINGER,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  socketpair,
  SOL_SOCKET,
  TimeoutError,
} from "../mod.ts";

const LO = { host: "127.0.0.1", port: 0 };

function listener(backlog = 128): Socket {
  const s = socket();
  s.bind(LO);
  s.listen(backlog);
  return s;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === "AbortError";
}

function random(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A connected TCP pair whose server end resets (linger 0) on close. */
async function resettingPair(): Promise<[Socket, Socket]> {
  using srv = listener();
  const c = socket();
  const accepting = srv.accept();
  await c.connect(srv.getsockname());
  const [conn] = await accepting;
  const linger = new Uint8Array(8);
  new DataView(linger.buffer).setInt32(0, 1, true);
  conn.setsockopt(SOL_SOCKET, SO_LINGER, linger);
  return [c, conn];
}

async function recvExactly(s: Socket, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = await s.recvInto(out.subarray(got));
    if (k === 0) throw new Error(`EOF after ${got} of ${n} bytes`);
    got += k;
  }
  return out;
}

test("an async echo server serves 500 concurrent clients, every byte checked", async () => {
  using srv = listener(1024);
  const addr = srv.getsockname();
  const CLIENTS = 500;
  const SIZE = 8192;
  let served = 0;
  const serving: Promise<void>[] = [];
  const acceptLoop = (async () => {
    while (served < CLIENTS) {
      const [conn] = await srv.accept();
      served++;
      serving.push((async () => {
        const buf = new Uint8Array(4096);
        for (;;) {
          const n = await conn.recvInto(buf);
          if (n === 0) break;
          await conn.sendAll(buf.subarray(0, n));
        }
        conn.close();
      })());
    }
  })();
  const clients = Array.from({ length: CLIENTS }, async (_, i) => {
    const c = socket();
    await c.connect(addr);
    const payload = random(SIZE, i + 1);
    const [, echoed] = await Promise.all([
      c.sendAll(payload),
      recvExactly(c, SIZE),
    ]);
    c.close();
    assert.deepEqual(echoed, payload, `client ${i}`);
  });
  await Promise.all(clients);
  await acceptLoop;
  await Promise.all(serving);
  assert.equal(served, CLIENTS);
});

test("async connect to a closed port rejects with ConnectionRefusedError", async () => {
  const probe = listener();
  const addr = probe.getsockname();
  probe.close();
  using c = socket();
  await assert.rejects(c.connect(addr), ConnectionRefusedError);
  using d = socket();
  assert.equal(await d.connectEx(addr), 111);
});

test("a peer reset mid-stream rejects async recv with ConnectionResetError", async () => {
  const [c, conn] = await resettingPair();
  using _c = c;
  await c.sendAll(bytes("unread"));
  const pending = c.recv(10).then(() => "data", (e) => e);
  await sleep(20);
  conn.close(); // RST: the unread data and linger 0
  const r = await pending;
  assert.ok(r instanceof ConnectionResetError, String(r));
});

test("async recv waits without blocking the thread, and a timer keeps firing", async () => {
  const [a, b] = socketpair();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const pending = b.recv(16);
  await sleep(100);
  assert.ok(ticks >= 5, `timer fired ${ticks} times while recv waited`);
  a.sendSync(bytes("late"));
  assert.equal(text(await pending), "late");
  clearInterval(timer);
  a.close();
  b.close();
});

test("a socket timeout bounds async recv, accept, connect and sendAll", async () => {
  const [a, b] = socketpair();
  b.setTimeout(120);
  let t0 = performance.now();
  await assert.rejects(b.recv(1), (e: unknown) => {
    return e instanceof TimeoutError && e.message === "timed out";
  });
  const took = performance.now() - t0;
  assert.ok(took >= 100 && took < 2000, `recv timed out after ${took} ms`);
  a.setTimeout(100);
  await assert.rejects(a.sendAll(new Uint8Array(16 << 20)), (e: unknown) => {
    return e instanceof TimeoutError &&
      (e as TimeoutError & { bytesSent: number }).bytesSent > 0;
  });
  a.close();
  b.close();
  using srv = listener();
  srv.setTimeout(80);
  t0 = performance.now();
  await assert.rejects(srv.accept(), TimeoutError);
  assert.ok(performance.now() - t0 >= 60);
  // A full accept queue drops SYNs, so a connect to it hangs (loopback only).
  using full = listener(0);
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const f = socket();
    f.setBlocking(false);
    f.connectExSync(full.getsockname());
    fillers.push(f);
  }
  await sleep(50);
  using c = socket();
  c.setTimeout(150);
  await assert.rejects(c.connect(full.getsockname()), TimeoutError);
  for (const f of fillers) f.close();
});

test("an aborted recv rejects with the reason and consumes nothing", async () => {
  const [a, b] = socketpair();
  const ac = new AbortController();
  const pending = b.recv(16, 0, { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(pending, isAbort);
  a.sendSync(bytes("kept"));
  assert.equal(text(await b.recv(16)), "kept");
  const reason = new Error("mine");
  const ac2 = new AbortController();
  ac2.abort(reason);
  a.sendSync(bytes("still here"));
  await assert.rejects(
    b.recv(16, 0, { signal: ac2.signal }),
    (e) => e === reason,
  );
  assert.equal(text(b.recvSync(16)), "still here");
  a.close();
  b.close();
});

test("an aborted accept leaks no connection: the next accept gets it", async () => {
  using srv = listener();
  const ac = new AbortController();
  const pending = srv.accept({ signal: ac.signal });
  ac.abort();
  await assert.rejects(pending, isAbort);
  using c = socket();
  await c.connect(srv.getsockname());
  const [conn, peer] = await srv.accept();
  assert.deepEqual(peer, c.getsockname());
  conn.close();
});

test("an aborted sendAll reports how much was sent", async () => {
  const [a, b] = socketpair();
  const ac = new AbortController();
  const pending = a.sendAll(new Uint8Array(16 << 20), 0, { signal: ac.signal });
  setTimeout(() => ac.abort(), 30);
  await assert.rejects(pending, (e: unknown) => {
    return isAbort(e) && (e as { bytesSent: number }).bytesSent > 0;
  });
  a.close();
  b.close();
});

test("two concurrent recv calls on one socket are served in order", async () => {
  const [a, b] = socketpair(AF_UNIX!, SOCK_DGRAM);
  const first = b.recv(16);
  const second = b.recv(16);
  a.sendSync(bytes("one"));
  a.sendSync(bytes("two"));
  assert.equal(text(await first), "one");
  assert.equal(text(await second), "two");
  a.close();
  b.close();
});

test("closing a socket rejects its pending async calls with EBADF", async () => {
  const [a, b] = socketpair();
  const pending = b.recv(1);
  await sleep(5);
  b.close();
  await assert.rejects(pending, (e: unknown) => {
    return e instanceof OSError && e.code === "EBADF";
  });
  a.close();
});

test("async calls work on a non-blocking socket and the Sync forms keep their mode", async () => {
  const [a, b] = socketpair();
  b.setBlocking(false);
  const pending = b.recv(8);
  a.sendSync(bytes("nb"));
  assert.equal(text(await pending), "nb");
  assert.throws(() => b.recvSync(1), BlockingIOError);
  // A blocking socket used async still blocks in its Sync form.
  const [c, d] = socketpair();
  const p2 = d.recv(4);
  c.sendSync(bytes("x"));
  await p2;
  setTimeout(() => c.sendSync(bytes("y")), 30);
  await sleep(60);
  assert.equal(text(d.recvSync(4)), "y");
  assert.equal(d.getBlocking(), true);
  for (const s of [a, b, c, d]) s.close();
});

test("async UDP sendto/recvfrom carry addresses", async () => {
  using r = socket(AF_INET, SOCK_DGRAM);
  r.bind(LO);
  using s = socket(AF_INET, SOCK_DGRAM);
  s.bind(LO);
  const pending = r.recvfrom(64);
  assert.equal(await s.sendto(bytes("dgram"), r.getsockname()), 5);
  const [data, from] = await pending;
  assert.equal(text(data), "dgram");
  assert.deepEqual(from, s.getsockname());
  await s.sendto(bytes("flags"), 0, r.getsockname());
  const buf = new Uint8Array(8);
  const [n] = await r.recvfromInto(buf);
  assert.equal(text(buf.subarray(0, n)), "flags");
});

test("streams carry 16 MiB to a slow reader with bounded memory", async () => {
  const [a, b] = socketpair();
  const TOTAL = 16 << 20;
  const CHUNK = 64 << 10;
  let written = 0;
  let read = 0;
  let maxAhead = 0;
  const writer = (async () => {
    const w = a.writable.getWriter();
    for (let off = 0; off < TOTAL; off += CHUNK) {
      const chunk = new Uint8Array(CHUNK);
      new DataView(chunk.buffer).setUint32(0, off / CHUNK);
      await w.write(chunk);
      written += CHUNK;
      maxAhead = Math.max(maxAhead, written - read);
    }
    await w.close();
  })();
  let expected = 0;
  let pos = 0;
  let slow = 0;
  for await (const chunk of b.readable) {
    for (let i = 0; i < chunk.length; i++, pos++) {
      if (pos % CHUNK === 0) {
        const seq = (chunk[i] << 24) | (chunk[i + 1] << 16) |
          (chunk[i + 2] << 8) | chunk[i + 3];
        assert.equal(seq, expected++, `chunk order at ${pos}`);
      }
    }
    read += chunk.length;
    if (slow++ % 16 === 0) await sleep(1);
  }
  await writer;
  assert.equal(read, TOTAL);
  // Socket buffers (a few MiB at most) plus one queued chunk each side.
  assert.ok(maxAhead < 8 << 20, `writer ran ${maxAhead} bytes ahead`);
  a.close();
  b.close();
});

test("cancelling the readable shuts down the read side; closing the writable sends EOF", async () => {
  const [a, b] = socketpair();
  const w = a.writable.getWriter();
  await w.write(bytes("bye"));
  await w.close();
  assert.equal(text(b.recvSync(8)), "bye");
  assert.equal(b.recvSync(8).length, 0);
  const reader = b.readable.getReader();
  await reader.cancel();
  assert.equal(b.recvSync(8).length, 0); // read side shut down: EOF at once
  a.close();
  b.close();
});

test("stream errors surface as OSError", async () => {
  const [c, conn] = await resettingPair();
  using _c = c;
  await c.sendAll(bytes("x"));
  conn.close();
  const reader = c.readable.getReader();
  await assert.rejects(reader.read(), ConnectionResetError);
});

test("async interop with a Python peer", async () => {
  using srv = listener();
  const port = (srv.getsockname() as { port: number }).port;
  const peer = pythonPeer(
    `import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])))
data=b""
while len(data)<100000:
    data+=s.recv(65536)
s.sendall(data[::-1])
s.close()`,
    [String(port)],
  );
  const [conn] = await srv.accept();
  const payload = random(100_000, 7);
  await conn.sendAll(payload);
  const back = await recvExactly(conn, payload.length);
  assert.deepEqual(back, payload.slice().reverse());
  assert.equal((await conn.recv(10)).length, 0);
  conn.close();
  await peer.done;
});

test("await using closes the socket", async () => {
  let fd = -1;
  {
    await using s = socket(AF_INET, SOCK_STREAM);
    fd = s.fileno();
    assert.ok(fd >= 0);
  }
  // The fd is free again: the next socket may take the same number.
  using t = socket();
  assert.ok(t.fileno() >= 0);
});

test("a script whose async calls are done exits by itself", () => {
  const [dir, clean] = tempDir();
  try {
    const mod = join(process.cwd(), "mod.ts");
    const script = join(dir, "idle.ts");
    writeFileSync(
      script,
      `import { socket, socketpair } from ${JSON.stringify(mod)};
const [a, b] = socketpair();
const p = b.recv(4);
setTimeout(() => a.sendSync(new Uint8Array([1])), 20);
await p;
const s = socket();
s.bind({ host: "127.0.0.1", port: 0 });
s.listen();
const c = socket();
const acc = s.accept();
await c.connect(s.getsockname());
await acc;
const idle = socketpair(); // open, idle sockets must not keep it alive
const ac = new AbortController();
const pending = idle[0].recv(1, 0, { signal: ac.signal }).catch(() => "aborted");
ac.abort();
console.log(await pending);
`,
    );
    const exe = process.execPath;
    const args = runtime === "deno" ? ["run", "-A", script] : [script];
    const t0 = Date.now();
    const r = spawnSync(exe, args, { encoding: "utf8", timeout: 20_000 });
    assert.equal(r.signal, null, `killed after ${Date.now() - t0} ms`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "aborted");
  } finally {
    clean();
  }
});

test("async connect and sendto resolve a host name off the thread (localhost)", async () => {
  using srv = listener();
  const { port } = srv.getsockname() as { port: number };
  using c = socket();
  const accepting = srv.accept();
  await c.connect({ host: "localhost", port });
  const [conn] = await accepting;
  assert.deepEqual(conn.getpeername(), c.getsockname());
  conn.close();
  using r = socket(AF_INET, SOCK_DGRAM);
  r.bind(LO);
  using s = socket(AF_INET, SOCK_DGRAM);
  const rport = (r.getsockname() as { port: number }).port;
  await s.sendto(bytes("named"), { host: "localhost", port: rport });
  assert.equal(text(await r.recv(16)), "named");
  using bad = socket();
  await assert.rejects(
    bad.connect({ host: "~invalid~", port: 1 }),
    (e: unknown) => e instanceof OSError && e.constructor.name === "GaiError",
  );
});
