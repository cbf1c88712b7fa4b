/**
 * The measured loops with this library: the same loops as bench/c/client.c
 * and bench/py/client.py, sync and async, plus both ends in one process.
 *
 * @module
 */
import type { Address, Socket } from "../mod.ts";
import { lib } from "./_lib.ts";
import { rmSync } from "node:fs";
import type { Session } from "./_procs.ts";
import { CHUNK, type Rep } from "./_report.ts";

const {
  AF_INET,
  AF_UNIX,
  IPPROTO_TCP,
  SO_RCVBUF,
  SO_SNDBUF,
  SOCK_DGRAM,
  SOCK_STREAM,
  socket,
  SOL_SOCKET,
  TCP_NODELAY,
} = lib;

/** Bytes of one benchmark datagram (and of the receive buffers). */
export const DGRAM = 64;
/** Datagrams per sendmmsg/recvmmsg call. */
export const BATCH = 64;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;

/** A stream endpoint: TCP on 127.0.0.1 or a unix path. */
export type Family = "tcp" | "unix";
/** What a stream repetition does. */
export type StreamOp = "send" | "recv" | "pingpong";
/** What a datagram repetition does. */
export type DgramOp = "send" | "recv" | "msend" | "mrecv";

const chunk = new Uint8Array(CHUNK).fill(0x61);

function header(op: string, n: number): Uint8Array {
  const h = new Uint8Array(16);
  h[0] = op.charCodeAt(0);
  new DataView(h.buffer).setBigUint64(8, BigInt(n), true);
  return h;
}

function streamSocket(family: Family): Socket {
  const s = socket(family === "tcp" ? AF_INET : AF_UNIX!, SOCK_STREAM);
  if (family === "tcp") s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  return s;
}

function recvExactlySync(s: Socket, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.byteLength) {
    const n = s.recvIntoSync(buf.subarray(off));
    if (n === 0) throw new Error("unexpected end of stream");
    off += n;
  }
}

async function recvExactly(s: Socket, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.byteLength) {
    const n = await s.recvInto(buf.subarray(off));
    if (n === 0) throw new Error("unexpected end of stream");
    off += n;
  }
}

/** Blocking calls against the C stream peer, one repetition per `rep()`. */
export function streamSync(
  family: Family,
  address: Address,
  op: StreamOp,
  n: number,
): Session {
  const s = streamSocket(family);
  s.connectSync(address);
  const buf = new Uint8Array(CHUNK);
  const one = new Uint8Array(1);
  if (op === "pingpong") s.sendAllSync(header("e", 0));
  return {
    rep(): Rep {
      let t0: number;
      if (op === "send") {
        s.sendAllSync(header("s", n));
        t0 = performance.now();
        for (let left = n; left > 0; left -= CHUNK) s.sendAllSync(chunk);
        recvExactlySync(s, one);
      } else if (op === "recv") {
        s.sendAllSync(header("r", n));
        t0 = performance.now();
        for (let left = n; left > 0;) {
          const k = s.recvIntoSync(buf);
          if (k === 0) throw new Error("source ended early");
          left -= k;
        }
      } else {
        t0 = performance.now();
        for (let i = 0; i < n; i++) {
          s.sendSync(one);
          s.recvIntoSync(one);
        }
      }
      return { seconds: (performance.now() - t0) / 1000, ops: n };
    },
    close: () => s.close(),
  };
}

/** Awaited async calls against the C stream peer. */
export async function streamAsync(
  family: Family,
  address: Address,
  op: StreamOp,
  n: number,
): Promise<Session> {
  const s = streamSocket(family);
  await s.connect(address);
  const buf = new Uint8Array(CHUNK);
  const one = new Uint8Array(1);
  if (op === "pingpong") await s.sendAll(header("e", 0));
  return {
    async rep(): Promise<Rep> {
      let t0: number;
      if (op === "send") {
        await s.sendAll(header("s", n));
        t0 = performance.now();
        for (let left = n; left > 0; left -= CHUNK) await s.sendAll(chunk);
        await recvExactly(s, one);
      } else if (op === "recv") {
        await s.sendAll(header("r", n));
        t0 = performance.now();
        for (let left = n; left > 0;) {
          const k = await s.recvInto(buf);
          if (k === 0) throw new Error("source ended early");
          left -= k;
        }
      } else {
        t0 = performance.now();
        for (let i = 0; i < n; i++) {
          await s.send(one);
          await s.recvInto(one);
        }
      }
      return { seconds: (performance.now() - t0) / 1000, ops: n };
    },
    close: () => s.close(),
  };
}

/**
 * Both ends in this process, async: a client and a server task. "send":
 * the client sends `n` bytes in 64 KiB `sendAll` calls, the server counts
 * them with `recvInto` and acks; "pingpong": `n` 1-byte round trips with
 * the server echoing.
 */
export async function inProcess(
  family: Family,
  op: "send" | "pingpong",
  n: number,
  path: string,
): Promise<Session> {
  const listener = socket(family === "tcp" ? AF_INET : AF_UNIX!, SOCK_STREAM);
  listener.bind(family === "tcp" ? { host: "127.0.0.1", port: 0 } : path);
  listener.listen();
  const client = streamSocket(family);
  const accepted = listener.accept();
  await client.connect(listener.getsockname());
  const [conn] = await accepted;
  listener.close();
  const buf = new Uint8Array(CHUNK);
  const ack = new Uint8Array(1);
  const one = new Uint8Array(1);
  const serve = async (): Promise<void> => {
    if (op === "send") {
      for (let got = 0; got < n;) {
        const k = await conn.recvInto(buf);
        if (k === 0) return;
        got += k;
      }
      await conn.sendAll(ack);
    } else {
      for (let i = 0; i < n; i++) {
        const k = await conn.recvInto(buf);
        if (k === 0) return;
        await conn.sendAll(buf.subarray(0, k));
      }
    }
  };
  return {
    async rep(): Promise<Rep> {
      const server = serve();
      const t0 = performance.now();
      if (op === "send") {
        for (let left = n; left > 0; left -= CHUNK) await client.sendAll(chunk);
        await recvExactly(client, one);
      } else {
        for (let i = 0; i < n; i++) {
          await client.send(one);
          await client.recvInto(one);
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

function bigBuffers(s: Socket): void {
  for (
    const [force, plain] of [
      [SO_RCVBUFFORCE, SO_RCVBUF],
      [SO_SNDBUFFORCE, SO_SNDBUF],
    ]
  ) {
    try {
      s.setsockopt(SOL_SOCKET, force, 64 << 20);
    } catch {
      s.setsockopt(SOL_SOCKET, plain, 64 << 20);
    }
  }
}

function readU64Sync(s: Socket): number {
  const b = new Uint8Array(8);
  recvExactlySync(s, b);
  return Number(new DataView(b.buffer).getBigUint64(0, true));
}

/** The batched calls being added to Socket (Issue 4), when present. */
interface Batched {
  recvmmsgSync(count: number, bufsize: number, flags?: number): {
    data: Uint8Array;
    address: Address | null;
    flags: number;
  }[];
  sendmmsgSync(
    messages: { data: Uint8Array | Uint8Array[]; address?: Address }[],
    flags?: number,
  ): number;
}

/** True when Socket has `sendmmsgSync` and `recvmmsgSync`. */
export function hasBatched(): boolean {
  const p = lib.Socket.prototype as unknown as Partial<Batched>;
  return typeof p.recvmmsgSync === "function" &&
    typeof p.sendmmsgSync === "function";
}

function readAddress(ctl: Socket): string {
  const len = new Uint8Array(1);
  recvExactlySync(ctl, len);
  const text = new Uint8Array(len[0]);
  recvExactlySync(ctl, text);
  return new TextDecoder().decode(text);
}

/**
 * Datagrams against the C peer, one phase timed at a time: "send"/"msend"
 * time `k` datagrams into the peer's (idle, big) receive queue, which it
 * drains afterwards; "recv"/"mrecv" time draining `k` datagrams the peer
 * queued beforehand. `control` is the peer's control socket, `me` the path
 * our unix socket binds to.
 */
export function dgram(
  family: "udp" | "unix",
  control: string,
  me: string,
  op: DgramOp,
  k: number,
): Session {
  const udp = family === "udp";
  const ctl = socket(AF_UNIX!, SOCK_STREAM);
  ctl.connectSync(control);
  ctl.sendAllSync(header(udp ? "u" : "x", 0));
  const text = readAddress(ctl);
  const address: Address = udp
    ? { host: "127.0.0.1", port: Number(text) }
    : text;
  const s = socket(udp ? AF_INET : AF_UNIX!, SOCK_DGRAM);
  bigBuffers(s);
  s.bind(udp ? { host: "127.0.0.1", port: 0 } : me);
  if (!udp) s.connectSync(address);
  s.sendtoSync(new Uint8Array([0x68]), address);
  recvExactlySync(ctl, new Uint8Array(1));

  const batched = s as unknown as Batched;
  const sending = op === "send" || op === "msend";
  const data = new Uint8Array(DGRAM).fill(0x62);
  const buf = new Uint8Array(DGRAM);
  const messages = Array.from({ length: BATCH }, () => ({ data, address }));
  return {
    rep(): Rep {
      let want = k;
      if (!sending) {
        ctl.sendAllSync(header("F", k));
        want = k - readU64Sync(ctl);
      }
      const t0 = performance.now();
      if (op === "send") {
        for (let i = 0; i < want; i++) s.sendtoSync(data, address);
      } else if (op === "recv") {
        for (let i = 0; i < want; i++) s.recvfromIntoSync(buf);
      } else if (op === "msend") {
        for (let done = 0; done < want;) {
          const left = want - done;
          done += batched.sendmmsgSync(
            left >= BATCH ? messages : messages.slice(0, left),
          );
        }
      } else {
        for (let done = 0; done < want;) {
          const left = want - done;
          done += batched.recvmmsgSync(left < BATCH ? left : BATCH, DGRAM)
            .length;
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      if (sending) {
        ctl.sendAllSync(header("D", k));
        const got = readU64Sync(ctl);
        if (got < k) console.error(`peer received ${got} of ${k} datagrams`);
      }
      return { seconds, ops: want };
    },
    close(): void {
      ctl.close();
      s.close();
      if (!udp) rmSync(me, { force: true });
    },
  };
}
