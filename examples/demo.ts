/**
 * The demo the README's first command runs, under Deno and then Bun: a TCP
 * echo round trip, a unix stream and a unix datagram exchange (abstract
 * names included), UDP, the async forms with a timeout and an abort, and a
 * Python peer talking to us. Everything stays on loopback.
 *
 *   deno run --allow-ffi --allow-read --allow-write --allow-env examples/demo.ts
 *   bun examples/demo.ts
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  getaddrinfo,
  recvFds,
  sendFds,
  SOCK_DGRAM,
  SOCK_STREAM,
  Socket,
  socket,
  socketpair,
  type TimeoutError,
} from "../mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const runtime = g.Bun ? `Bun ${g.Bun.version}` : `Deno ${g.Deno.version.deno}`;

function show(label: string, value: unknown): void {
  const v = value instanceof Uint8Array
    ? JSON.stringify(dec.decode(value))
    : value;
  console.log(
    `  ${label.padEnd(34)} ${typeof v === "string" ? v : JSON.stringify(v)}`,
  );
}

function tcpEcho(family: number, host: string): void {
  using server = socket(family, SOCK_STREAM);
  server.bind({ host, port: 0 });
  server.listen();
  using client = socket(family, SOCK_STREAM);
  client.connectSync(server.getsockname());
  const [conn, peer] = server.acceptSync();
  using _ = conn;
  client.sendAllSync(enc.encode(`hello over ${host}`));
  conn.sendAllSync(conn.recvSync(1024));
  console.log(`  ${client}`);
  show("server saw a client at", peer);
  show("echoed back", client.recvSync(1024));
}

function unixStream(): void {
  const dir = mkdtempSync(join(tmpdir(), "sockets-demo-"));
  try {
    const path = join(dir, "echo.sock");
    using server = socket(AF_UNIX!, SOCK_STREAM);
    server.bind(path);
    server.listen();
    using client = socket(AF_UNIX!, SOCK_STREAM);
    client.connectSync(path);
    const [conn] = server.acceptSync();
    using _ = conn;
    client.sendAllSync(enc.encode("through a filesystem socket"));
    conn.sendAllSync(conn.recvSync(1024));
    show("unix stream bound at", server.getsockname());
    show("echoed back", client.recvSync(1024));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function unixDatagrams(): void {
  using a = socket(AF_UNIX!, SOCK_DGRAM);
  a.bind(""); // Linux autobind: the kernel picks an abstract name
  using b = socket(AF_UNIX!, SOCK_DGRAM);
  const name = new Uint8Array([0, ...enc.encode(`demo-${Date.now()}`)]);
  b.bind(name);
  a.sendtoSync(enc.encode("one datagram"), name);
  const [data, from] = b.recvfromSync(64);
  show(
    "abstract name (autobind)",
    dec.decode((from as Uint8Array).subarray(1)),
  );
  show("datagram received", data);
}

function udp(): void {
  using r = socket(AF_INET6, SOCK_DGRAM);
  r.bind({ host: "::1", port: 0 });
  using s = socket(AF_INET6, SOCK_DGRAM);
  s.sendtoSync(enc.encode("udp over ::1"), r.getsockname());
  const [data, from] = r.recvfromSync(64);
  show("UDP from", from);
  show("UDP payload", data);
}

async function asyncForms(): Promise<void> {
  using server = socket(AF_INET, SOCK_STREAM);
  server.bind({ host: "127.0.0.1", port: 0 });
  server.listen();
  using client = socket();
  const accepting = server.accept();
  await client.connect(server.getsockname());
  const [conn] = await accepting;
  using _ = conn;
  const echo = (async () => {
    for (;;) {
      const chunk = await conn.recv(65536);
      if (chunk.length === 0) return;
      await conn.sendAll(chunk);
    }
  })();
  const t0 = performance.now();
  const rounds = 20000;
  const one = new Uint8Array(1);
  for (let i = 0; i < rounds; i++) {
    await client.send(one);
    await client.recvInto(one);
  }
  const us = ((performance.now() - t0) / rounds * 1000).toFixed(1);
  show("async 1-byte round trips", `${rounds} in-process, ${us} us each`);
  client.shutdown(1);
  await echo;

  const [a, b] = socketpair();
  b.setTimeout(100);
  try {
    await b.recv(10);
  } catch (e) {
    show(
      "recv with a 100 ms timeout",
      `${(e as Error).name}: ${(e as TimeoutError).message}`,
    );
  }
  b.setTimeout(null);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  const aborted = await b.recv(10, 0, { signal: ac.signal }).catch((e) =>
    e.name
  );
  a.sendSync(enc.encode("nothing was lost"));
  show("aborted recv", aborted);
  show("next recv still gets", await b.recv(64));
  a.close();
  b.close();
}

async function messages(): Promise<void> {
  // Hand a live UDP socket to "another process" (here: the other end of a
  // unix socketpair) with SCM_RIGHTS, and use the received descriptor.
  using udpServer = socket(AF_INET, SOCK_DGRAM);
  udpServer.bind({ host: "127.0.0.1", port: 0 });
  const [left, right] = socketpair(AF_UNIX!, SOCK_DGRAM);
  await sendFds(left, [enc.encode("here is a socket")], [udpServer.fileno()]);
  const { data, fds } = await recvFds(right, 64, 4);
  using adopted = new Socket(undefined, undefined, undefined, fds[0]);
  show("received with SCM_RIGHTS", data);
  show("adopted descriptor", `${adopted}`);
  using client = socket(AF_INET, SOCK_DGRAM);
  for (let i = 0; i < 64; i++) {
    client.sendtoSync(enc.encode(`datagram ${i}`), adopted.getsockname());
  }
  const batch = adopted.recvmmsgSync(64, 64);
  show("recvmmsg: datagrams in one call", batch.length);
  const infos = await getaddrinfo("localhost", "http", AF_INET, SOCK_STREAM);
  show('getaddrinfo("localhost", "http")', infos[0].address);
  left.close();
  right.close();
}

async function pythonPeer(): Promise<void> {
  using server = socket(AF_INET, SOCK_STREAM);
  server.bind({ host: "127.0.0.1", port: 0 });
  server.listen();
  const { port } = server.getsockname() as { port: number };
  const py = spawn("python3", [
    "-c",
    "import socket,sys;s=socket.create_connection(('127.0.0.1',int(sys.argv[1])));" +
    "s.sendall(b'hi from CPython '+sys.version.split()[0].encode());print(s.recv(100).decode())",
    String(port),
  ], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  py.stdout.on("data", (d) => out += d);
  const exited = new Promise((r) => py.on("exit", r));
  const [conn]: [Socket, unknown] = await server.accept();
  show("Python says", await conn.recv(100));
  await conn.sendAll(enc.encode(`hi from ${runtime}`));
  conn.close();
  await exited;
  show("Python heard", out.trim());
}

console.log(`@sockets/socket demo on ${runtime}`);
console.log("TCP echo, IPv4 and IPv6 (blocking forms):");
tcpEcho(AF_INET, "127.0.0.1");
tcpEcho(AF_INET6, "::1");
console.log("Unix sockets:");
unixStream();
unixDatagrams();
console.log("UDP:");
udp();
console.log("Async forms (never block the thread):");
await asyncForms();
console.log("Messages, descriptors, batches, the resolver:");
await messages();
console.log("A Python peer:");
await pythonPeer();
console.log("done.");
