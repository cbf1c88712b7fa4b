/**
 * The same async loops with the running runtime's own sockets, written the
 * way each runtime is meant to be used: Deno's awaited `read`/`write` on
 * `Deno.connect`/`Deno.listen` connections, Bun's callback handlers on
 * `Bun.connect`/`Bun.listen` sockets.
 *
 * @module
 */
import { CHUNK, type Rep } from "./_report.ts";
import type { Family, StreamOp } from "./_ours.ts";
import type { Session } from "./_procs.ts";

/** Where a stream peer listens. */
export interface Endpoint {
  family: Family;
  port: number;
  path: string;
}

const chunk = new Uint8Array(CHUNK).fill(0x61);

function header(op: string, n: number): Uint8Array {
  const h = new Uint8Array(16);
  h[0] = op.charCodeAt(0);
  new DataView(h.buffer).setBigUint64(8, BigInt(n), true);
  return h;
}

// ---- Deno -----------------------------------------------------------------

async function denoConnect(ep: Endpoint): Promise<Deno.Conn> {
  if (ep.family === "unix") {
    return await Deno.connect({ transport: "unix", path: ep.path });
  }
  const c = await Deno.connect({ hostname: "127.0.0.1", port: ep.port });
  c.setNoDelay(true);
  return c;
}

async function denoWriteAll(c: Deno.Conn, buf: Uint8Array): Promise<void> {
  for (let off = 0; off < buf.byteLength;) {
    off += await c.write(off === 0 ? buf : buf.subarray(off));
  }
}

async function denoReadExactly(c: Deno.Conn, buf: Uint8Array): Promise<void> {
  for (let off = 0; off < buf.byteLength;) {
    const n = await c.read(buf.subarray(off));
    if (n === null) throw new Error("unexpected end of stream");
    off += n;
  }
}

/** Deno against the C stream peer. */
async function denoStream(
  ep: Endpoint,
  op: StreamOp,
  n: number,
): Promise<Session> {
  const c = await denoConnect(ep);
  const buf = new Uint8Array(CHUNK);
  const one = new Uint8Array(1);
  if (op === "pingpong") await denoWriteAll(c, header("e", 0));
  return {
    async rep(): Promise<Rep> {
      let t0: number;
      if (op === "send") {
        await denoWriteAll(c, header("s", n));
        t0 = performance.now();
        for (let left = n; left > 0; left -= CHUNK) {
          await denoWriteAll(c, chunk);
        }
        await denoReadExactly(c, one);
      } else if (op === "recv") {
        await denoWriteAll(c, header("r", n));
        t0 = performance.now();
        for (let left = n; left > 0;) {
          const k = await c.read(buf);
          if (k === null) throw new Error("source ended early");
          left -= k;
        }
      } else {
        t0 = performance.now();
        for (let i = 0; i < n; i++) {
          await c.write(one);
          await denoReadExactly(c, one);
        }
      }
      return { seconds: (performance.now() - t0) / 1000, ops: n };
    },
    close: () => c.close(),
  };
}

/** Deno, both ends in this process. */
async function denoInProcess(
  family: Family,
  op: "send" | "pingpong",
  n: number,
  path: string,
): Promise<Session> {
  const listener = family === "tcp"
    ? Deno.listen({ hostname: "127.0.0.1", port: 0 })
    : Deno.listen({ transport: "unix", path });
  const port = family === "tcp" ? (listener.addr as Deno.NetAddr).port : 0;
  const accepted = listener.accept();
  const client = await denoConnect({ family, port, path });
  const conn = await accepted;
  listener.close();
  if (family === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
  const buf = new Uint8Array(CHUNK);
  const ack = new Uint8Array(1);
  const one = new Uint8Array(1);
  const serve = async (): Promise<void> => {
    if (op === "send") {
      for (let got = 0; got < n;) {
        const k = await conn.read(buf);
        if (k === null) return;
        got += k;
      }
      await denoWriteAll(conn, ack);
    } else {
      for (let i = 0; i < n; i++) {
        const k = await conn.read(buf);
        if (k === null) return;
        await denoWriteAll(conn, buf.subarray(0, k));
      }
    }
  };
  return {
    async rep(): Promise<Rep> {
      const server = serve();
      const t0 = performance.now();
      if (op === "send") {
        for (let left = n; left > 0; left -= CHUNK) {
          await denoWriteAll(client, chunk);
        }
        await denoReadExactly(client, one);
      } else {
        for (let i = 0; i < n; i++) {
          await client.write(one);
          await denoReadExactly(client, one);
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      await server;
      return { seconds, ops: n };
    },
    close(): void {
      client.close();
      conn.close();
    },
  };
}

// ---- Bun ------------------------------------------------------------------

/** The part of a Bun socket the loops use. */
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  setNoDelay?(on: boolean): boolean;
}

/** Per-connection callbacks, swapped by the phase of the loop. */
interface BunConn {
  socket: BunSocket;
  onData: (d: Uint8Array) => void;
  onDrain: () => void;
}

interface BunHandlers {
  open?(s: BunSocket): void;
  data(s: BunSocket, d: Uint8Array): void;
  drain(s: BunSocket): void;
  close?(s: BunSocket): void;
  error?(s: BunSocket, e: Error): void;
}

interface BunApi {
  connect(o: {
    hostname?: string;
    port?: number;
    unix?: string;
    socket: BunHandlers;
  }): Promise<BunSocket>;
  listen(o: {
    hostname?: string;
    port?: number;
    unix?: string;
    socket: BunHandlers;
  }): { port: number; stop(closeActive?: boolean): void };
}

// deno-lint-ignore no-explicit-any
const bunApi = (): BunApi => (globalThis as any).Bun as BunApi;

const nothing = (): void => {};

async function bunConnect(ep: Endpoint): Promise<BunConn> {
  const conn: BunConn = {
    socket: undefined as unknown as BunSocket,
    onData: nothing,
    onDrain: nothing,
  };
  const socket: BunHandlers = {
    data: (_s, d) => conn.onData(d),
    drain: () => conn.onDrain(),
    error: (_s, e) => console.error("bun socket error", e),
  };
  conn.socket = ep.family === "unix"
    ? await bunApi().connect({ unix: ep.path, socket })
    : await bunApi().connect({ hostname: "127.0.0.1", port: ep.port, socket });
  if (ep.family === "tcp") conn.socket.setNoDelay?.(true);
  return conn;
}

/** Writes `total` bytes of 64 KiB chunks, waiting for drain on backpressure. */
function bunSendBulk(c: BunConn, total: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = total;
    let off = 0;
    const pump = (): void => {
      while (left > 0) {
        const piece = off === 0 ? chunk : chunk.subarray(off);
        const w = c.socket.write(piece);
        if (w < 0) {
          reject(new Error("write on a closed socket"));
          return;
        }
        left -= w;
        if (w < piece.byteLength) {
          off += w;
          c.onDrain = pump;
          return;
        }
        off = 0;
      }
      c.onDrain = nothing;
      resolve();
    };
    pump();
  });
}

function bunWriteAll(c: BunConn, buf: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const pump = (): void => {
      const w = c.socket.write(off === 0 ? buf : buf.subarray(off));
      if (w < 0) {
        reject(new Error("write on a closed socket"));
        return;
      }
      off += w;
      if (off < buf.byteLength) {
        c.onDrain = pump;
        return;
      }
      c.onDrain = nothing;
      resolve();
    };
    pump();
  });
}

/** Resolves once `n` bytes have arrived. */
function bunReceive(c: BunConn, n: number): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    c.onData = (d) => {
      got += d.byteLength;
      if (got >= n) {
        c.onData = nothing;
        resolve();
      }
    };
  });
}

/** `n` 1-byte round trips, driven from the data callback. */
function bunPingPong(c: BunConn, n: number): Promise<void> {
  const one = new Uint8Array(1);
  return new Promise((resolve) => {
    let i = 0;
    c.onData = () => {
      if (++i === n) {
        c.onData = nothing;
        resolve();
      } else c.socket.write(one);
    };
    c.socket.write(one);
  });
}

/** Bun against the C stream peer. */
async function bunStream(
  ep: Endpoint,
  op: StreamOp,
  n: number,
): Promise<Session> {
  const c = await bunConnect(ep);
  if (op === "pingpong") await bunWriteAll(c, header("e", 0));
  return {
    async rep(): Promise<Rep> {
      let t0: number;
      if (op === "send") {
        await bunWriteAll(c, header("s", n));
        t0 = performance.now();
        const ack = bunReceive(c, 1);
        await bunSendBulk(c, n);
        await ack;
      } else if (op === "recv") {
        const got = bunReceive(c, n);
        await bunWriteAll(c, header("r", n));
        t0 = performance.now();
        await got;
      } else {
        t0 = performance.now();
        await bunPingPong(c, n);
      }
      return { seconds: (performance.now() - t0) / 1000, ops: n };
    },
    close: () => c.socket.end(),
  };
}

/** Bun, both ends in this process; the server works in its callbacks. */
async function bunInProcess(
  family: Family,
  op: "send" | "pingpong",
  n: number,
  path: string,
): Promise<Session> {
  const ack = new Uint8Array(1);
  let got = 0;
  const server: BunHandlers = {
    data: (s, d) => {
      if (op === "pingpong") {
        s.write(d);
        return;
      }
      got += d.byteLength;
      if (got >= n) {
        got -= n;
        s.write(ack);
      }
    },
    drain: nothing,
    error: (_s, e) => console.error("bun server error", e),
  };
  const listener = family === "tcp"
    ? bunApi().listen({ hostname: "127.0.0.1", port: 0, socket: server })
    : bunApi().listen({ unix: path, socket: server });
  const c = await bunConnect({ family, port: listener.port, path });
  return {
    async rep(): Promise<Rep> {
      const t0 = performance.now();
      if (op === "send") {
        const acked = bunReceive(c, 1);
        await bunSendBulk(c, n);
        await acked;
      } else {
        await bunPingPong(c, n);
      }
      return { seconds: (performance.now() - t0) / 1000, ops: n };
    },
    close(): void {
      c.socket.end();
      listener.stop(true);
    },
  };
}

// ---- the running runtime --------------------------------------------------

/** "Deno" or "Bun". */
export const RUNTIME: "Deno" | "Bun" = "Bun" in globalThis ? "Bun" : "Deno";

/** The runtime's own sockets against the C stream peer. */
export function nativeStream(
  ep: Endpoint,
  op: StreamOp,
  n: number,
): Promise<Session> {
  return RUNTIME === "Bun" ? bunStream(ep, op, n) : denoStream(ep, op, n);
}

/** The runtime's own sockets, both ends in this process. */
export function nativeInProcess(
  family: Family,
  op: "send" | "pingpong",
  n: number,
  path: string,
): Promise<Session> {
  return RUNTIME === "Bun"
    ? bunInProcess(family, op, n, path)
    : denoInProcess(family, op, n, path);
}
