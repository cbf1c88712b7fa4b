/**
 * createServer / createConnection(Sync) / hasDualstackIpv6 on loopback,
 * with python3's `socket.create_connection` as the oracle where the
 * outcome depends on the system. Only numeric addresses and `null`
 * (getaddrinfo's NULL node: the loopback addresses) are resolved.
 */
import assert from "node:assert/strict";
import { test } from "./harness.ts";
import { readdirSync, readlinkSync } from "node:fs";
import { python } from "./_util.ts";
import {
  AF_INET,
  AF_INET6,
  ConnectionRefusedError,
  createConnection,
  createConnectionSync,
  createServer,
  GaiError,
  getDefaultTimeout,
  HAS_IPV6,
  hasDualstackIpv6,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  OSError,
  setDefaultTimeout,
  SO_REUSEADDR,
  SO_REUSEPORT,
  type Socket,
  socket,
  SOL_SOCKET,
} from "../mod.ts";

/**
 * How many sockets this process has open (not all descriptors: Bun's
 * resolver Workers bring their own eventfd/epoll descriptors when the pool
 * grows).
 */
function openSockets(): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

/**
 * No socket was left open since `before` was counted. (Fewer is fine: a
 * socket an earlier test dropped may be closed by its finalizer meanwhile.)
 */
function assertNoNewSockets(before: number): void {
  const now = openSockets();
  assert.ok(now <= before, `${now - before} socket(s) left open`);
}

interface Inet {
  host: string;
  port: number;
}

function portOf(s: Socket): number {
  return (s.getsockname() as Inet).port;
}

/** A port nothing listens on, on 127.0.0.1 and ::1 (bound, then closed). */
function refusedPort(): number {
  for (let tries = 0; tries < 20; tries++) {
    const s = socket(AF_INET6);
    s.bind({ host: "::", port: 0 });
    const port = portOf(s);
    s.close();
    const probe = socket(AF_INET);
    const free = probe.connectExSync({ host: "127.0.0.1", port }) !== 0;
    probe.close();
    if (free) return port;
  }
  throw new Error("no free port found");
}

const DUALSTACK = hasDualstackIpv6();

test("HAS_IPV6 and hasDualstackIpv6() match CPython", () => {
  const py = python(
    "import socket;print(socket.has_ipv6, socket.has_dualstack_ipv6())",
  ).trim();
  assert.equal(
    `${HAS_IPV6 ? "True" : "False"} ${DUALSTACK ? "True" : "False"}`,
    py,
  );
});

test("createServer (IPv4) listens with SO_REUSEADDR; createConnection connects to it", async () => {
  using server = createServer({ host: "127.0.0.1", port: 0 });
  assert.equal(server.family, AF_INET);
  assert.notEqual(server.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
  const port = portOf(server);
  using a = await createConnection({ host: "127.0.0.1", port });
  using b = createConnectionSync({ host: "127.0.0.1", port: String(port) });
  const [ca] = server.acceptSync();
  const [cb] = server.acceptSync();
  assert.deepEqual(ca.getpeername(), a.getsockname());
  assert.deepEqual(cb.getpeername(), b.getsockname());
  a.sendAllSync(new Uint8Array([7]));
  assert.deepEqual(ca.recvSync(1), new Uint8Array([7]));
  ca.close();
  cb.close();
});

test("createServer (IPv6) sets IPV6_V6ONLY unless dualstackIpv6", async () => {
  using server = createServer({ host: "::1", port: 0 }, { family: AF_INET6 });
  assert.equal(server.getsockopt(IPPROTO_IPV6!, IPV6_V6ONLY!), 1);
  using c = await createConnection({ host: "::1", port: portOf(server) });
  assert.equal(c.family, AF_INET6);
  const [conn, peer] = server.acceptSync();
  assert.equal((peer as Inet).host, "::1");
  conn.close();
});

test(
  "createServer with dualstackIpv6 accepts IPv4 on an AF_INET6 socket",
  async () => {
    using server = createServer({ host: "::", port: 0 }, {
      family: AF_INET6,
      dualstackIpv6: true,
    });
    assert.equal(server.getsockopt(IPPROTO_IPV6!, IPV6_V6ONLY!), 0);
    using c = await createConnection({
      host: "127.0.0.1",
      port: portOf(server),
    });
    assert.equal(c.family, AF_INET);
    const [conn, peer] = server.acceptSync();
    assert.equal((peer as Inet).host, "::ffff:127.0.0.1");
    assert.equal((peer as Inet).port, portOf(c));
    conn.close();
  },
  { ignore: DUALSTACK ? false : "dual-stack IPv6 is not available here" },
);

test("createServer checks its options as CPython does", () => {
  assert.throws(
    () => createServer({ host: "127.0.0.1", port: 0 }, { dualstackIpv6: true }),
    RangeError,
  );
  assert.throws(
    () => createServer({ host: "127.0.0.1", port: 70000 }),
    RangeError,
  );
  assert.throws(() => createServer("nope" as never), TypeError);
});

test("createServer with reusePort lets two sockets share a port", () => {
  using a = createServer({ host: "127.0.0.1", port: 0 }, { reusePort: true });
  assert.notEqual(a.getsockopt(SOL_SOCKET, SO_REUSEPORT!), 0);
  const port = portOf(a);
  using b = createServer({ host: "127.0.0.1", port }, { reusePort: true });
  assert.equal(portOf(b), port);
}, { ignore: SO_REUSEPORT === undefined ? "no SO_REUSEPORT" : false });

test("createServer names the address when bind fails and closes its socket", () => {
  using a = createServer({ host: "127.0.0.1", port: 0 }, { backlog: 4 });
  const port = portOf(a);
  const before = openSockets();
  assert.throws(
    () => createServer({ host: "127.0.0.1", port }),
    (e) =>
      e instanceof OSError && e.code === "EADDRINUSE" &&
      e.message ===
        `[Errno ${e.errno}] Address already in use (while attempting to bind on address {"host":"127.0.0.1","port":${port}})`,
  );
  assertNoNewSockets(before);
});

test("createConnection binds sourceAddress first", async () => {
  using server = createServer({ host: "127.0.0.1", port: 0 });
  for (const connect of ["async", "sync"]) {
    const src = refusedPort();
    const address = { host: "127.0.0.1", port: portOf(server) };
    const options = { sourceAddress: { host: "127.0.0.1", port: src } };
    using c = connect === "async"
      ? await createConnection(address, options)
      : createConnectionSync(address, options);
    assert.deepEqual(c.getsockname(), { host: "127.0.0.1", port: src });
    const [conn, peer] = server.acceptSync();
    assert.equal((peer as Inet).port, src);
    conn.close();
  }
});

test("createConnection keeps the default timeout unless given one", async () => {
  using server = createServer({ host: "127.0.0.1", port: 0 });
  const address = { host: "127.0.0.1", port: portOf(server) };
  const saved = getDefaultTimeout();
  try {
    setDefaultTimeout(1234);
    using a = createConnectionSync(address);
    assert.equal(a.getTimeout(), 1234);
    using b = await createConnection(address);
    assert.equal(b.getTimeout(), 1234);
    using c = await createConnection(address, { timeout: 500 });
    assert.equal(c.getTimeout(), 500);
    using d = createConnectionSync(address, { timeout: null });
    assert.equal(d.getTimeout(), null);
    setDefaultTimeout(null);
    using e = await createConnection(address);
    assert.equal(e.getTimeout(), null);
  } finally {
    setDefaultTimeout(saved);
  }
  for (let i = 0; i < 5; i++) server.acceptSync()[0].close();
});

test("createConnection tries every address: the last error, or all with allErrors (as CPython)", async () => {
  const port = refusedPort();
  const py = JSON.parse(python(`
import socket, json
try:
    socket.create_connection((None, ${port}), all_errors=True)
except ExceptionGroup as g:
    print(json.dumps([[type(e).__name__, e.errno] for e in g.exceptions]))
`));
  assert.ok(py.length >= 2, `python found ${py.length} addresses`);
  const before = openSockets();
  for (const mode of ["async", "sync"]) {
    const run = (allErrors: boolean): Promise<Socket> =>
      mode === "async"
        ? createConnection({ host: null, port }, { allErrors })
        : Promise.resolve().then(() =>
          createConnectionSync({ host: null, port }, { allErrors })
        );
    const all = await run(true).catch((e) => e);
    assert.ok(all instanceof AggregateError, String(all));
    assert.equal(all.message, "create_connection failed");
    assert.deepEqual(
      all.errors.map((e: OSError) => [e.constructor.name, e.errno]),
      py,
    );
    const last = await run(false).catch((e) => e);
    assert.ok(last instanceof ConnectionRefusedError, String(last));
  }
  assertNoNewSockets(before);
});

test("createConnection: GaiError for a name that does not resolve", async () => {
  await assert.rejects(
    createConnection({ host: "~invalid~", port: 80 }),
    GaiError,
  );
  assert.throws(
    () => createConnectionSync({ host: "~invalid~", port: 80 }),
    GaiError,
  );
  assert.throws(() => createConnectionSync(null as never), TypeError);
});

test("createConnection rejects with the signal's reason and leaks nothing", async () => {
  using server = createServer({ host: "127.0.0.1", port: 0 });
  const address = { host: "127.0.0.1", port: portOf(server) };
  const before = openSockets();
  await assert.rejects(
    createConnection(address, { signal: AbortSignal.abort() }),
    (e) => e instanceof DOMException && e.name === "AbortError",
  );
  const ac = new AbortController();
  const pending = createConnection(address, { signal: ac.signal });
  ac.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  assertNoNewSockets(before);
});

test("createConnection: a bad option is thrown at once, its socket closed", async () => {
  using server = createServer({ host: "127.0.0.1", port: 0 });
  const address = { host: "127.0.0.1", port: portOf(server) };
  const before = openSockets();
  await assert.rejects(
    createConnection(address, { timeout: -1 }),
    RangeError,
  );
  assert.throws(
    () => createConnectionSync(address, { sourceAddress: "x" as never }),
    TypeError,
  );
  assertNoNewSockets(before);
});
