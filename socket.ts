/**
 * The {@link Socket} class and the module functions that make sockets:
 * {@link socket}, {@link socketpair}, {@link fromfd}, and the default
 * timeout.
 *
 * @module
 */
import { C, layout, need } from "./constants/mod.ts";
import { errnoCodes } from "./constants/mod.ts";
import { errnoError, OSError, TimeoutError } from "./errors.ts";
import type { Address } from "./families/types.ts";
import { copyAddress, decodeAddress, encodeAddress } from "./families/mod.ts";
import { addressContext, resolveHostAsync } from "./resolver.ts";
import { bytesArg, intArg, sizeArg } from "./_args.ts";
import type { AddressContext } from "./families/types.ts";
import { check, errno, ioSize, libc, size } from "./ffi/sys.ts";
import { reactor, READ, WRITE } from "./ffi/reactor.ts";
import {
  type AsyncOptions,
  type Attempt,
  core,
  FAILED,
  type SocketCore,
} from "./_core.ts";
import * as msgs from "./messages.ts";
import type {
  AncData,
  Datagram,
  FileSource,
  MmsgMessage,
  RecvMsg,
  RecvMsgInto,
} from "./messages.ts";

export type { Address } from "./families/types.ts";

const AF_INET = need("AF_INET");
const AF_UNIX = need("AF_UNIX");
const SOCK_STREAM = need("SOCK_STREAM");
const SOCK_CLOEXEC = C.SOCK_CLOEXEC ?? 0;
const SOCK_NONBLOCK = C.SOCK_NONBLOCK ?? 0;
const SOL_SOCKET = need("SOL_SOCKET");
const SO_ERROR = need("SO_ERROR");
const SO_TYPE = need("SO_TYPE");
const SO_DOMAIN = C.SO_DOMAIN;
const SO_PROTOCOL = C.SO_PROTOCOL;
const MSG_NOSIGNAL = C.MSG_NOSIGNAL ?? 0;
const MSG_DONTWAIT = C.MSG_DONTWAIT ?? 0;
const SHUT_RD = need("SHUT_RD");
const SHUT_WR = need("SHUT_WR");
const F_GETFL = need("F_GETFL");
const F_SETFL = need("F_SETFL");
const F_GETFD = need("F_GETFD");
const F_SETFD = need("F_SETFD");
const F_DUPFD_CLOEXEC = need("F_DUPFD_CLOEXEC");
const FD_CLOEXEC = need("FD_CLOEXEC");
const O_NONBLOCK = need("O_NONBLOCK");
const POLLIN = need("POLLIN");
const POLLOUT = need("POLLOUT");

const EINTR = errnoCodes.EINTR;
const EAGAIN = errnoCodes.EAGAIN;
const EWOULDBLOCK = errnoCodes.EWOULDBLOCK ?? EAGAIN;
const EINPROGRESS = errnoCodes.EINPROGRESS;
const EBADF = errnoCodes.EBADF;
const EINVAL = errnoCodes.EINVAL;
const ECONNRESET = errnoCodes.ECONNRESET;
const ENOTCONN = errnoCodes.ENOTCONN;

const STORAGE = layout.sockaddr_storage.size;
const INT = layout.sizes.int;

// Scratch space for synchronous calls: filled by the kernel and decoded
// before the next call can reuse it. JavaScript runs one call at a time.
const addrBuf = new Uint8Array(STORAGE);
const lenBuf = new Uint8Array(4);
const lenView = new DataView(lenBuf.buffer);
const intBuf = new Uint8Array(8);
const intView = new DataView(intBuf.buffer);
const pollBuf = new Uint8Array(layout.pollfd.size);
const pollView = new DataView(pollBuf.buffer);
const ONE = size(1);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let defaultTimeout: number | null = null;

// Did the last encode resolve a name? Such addresses are not cached.
let looked = false;
const trackLookups: AddressContext = {
  ...addressContext,
  resolve(host: string, family: number): Uint8Array {
    looked = true;
    return addressContext.resolve(host, family);
  },
};

// recvfrom() in a loop mostly hears the same peer: when the kernel wrote
// the same sockaddr bytes as last time, hand out a copy of the last result
// instead of decoding (and allocating strings) again.
const lastRaw = new Uint8Array(STORAGE);
let lastLen = -1;
let lastAddress: Address = "";

/** Decodes the first `len` scratch bytes (the kernel's clamped length). */
function decodeCached(len: number): Address {
  if (len === lastLen) {
    let i = 0;
    while (i < len && addrBuf[i] === lastRaw[i]) i++;
    if (i === len) return copyAddress(lastAddress);
  }
  const a = decodeAddress(addrBuf.subarray(0, len), addressContext);
  lastRaw.set(addrBuf.subarray(0, len));
  lastLen = len;
  lastAddress = copyAddress(a);
  return a;
}

// The address codecs call `resolve` only for a name that needs a lookup:
// the async calls stop there, resolve off-thread, and encode again.
const NEEDS_LOOKUP = Symbol("needs lookup");
let lookup: [string, number] = ["", 0];
const deferLookup: AddressContext = {
  ...addressContext,
  resolve(host: string, family: number): Uint8Array {
    lookup = [host, family];
    throw NEEDS_LOOKUP;
  },
};

function validTimeout(ms: unknown): number | null {
  if (ms === null || ms === undefined) return null;
  if (typeof ms !== "number") {
    throw new TypeError(
      `timeout must be a number of milliseconds or null, not ${typeof ms}`,
    );
  }
  if (Number.isNaN(ms)) {
    throw new RangeError("Invalid value NaN (not a number)");
  }
  if (ms < 0) throw new RangeError("Timeout value out of range");
  if (!Number.isFinite(ms)) {
    throw new RangeError("timeout doesn't fit into C timeval");
  }
  return ms;
}

/**
 * The default timeout (ms, `null` = blocking) new sockets start with.
 *
 * @returns the default timeout in milliseconds, or `null` for none
 * @example
 * ```ts
 * import { getDefaultTimeout } from "@sockets/socket";
 * console.log(getDefaultTimeout()); // null unless setDefaultTimeout() was called
 * ```
 */
export function getDefaultTimeout(): number | null {
  return defaultTimeout;
}

/**
 * Sets the timeout (ms; `null` = blocking, `0` = non-blocking) that new
 * sockets, including accepted ones, start with.
 *
 * @param ms the timeout in milliseconds, or `null`
 * @throws {RangeError} for a negative or non-finite value
 * @example
 * ```ts
 * import { setDefaultTimeout, socket } from "@sockets/socket";
 * setDefaultTimeout(5000);
 * using s = socket();
 * console.log(s.getTimeout()); // 5000
 * setDefaultTimeout(null);
 * ```
 */
export function setDefaultTimeout(ms: number | null): void {
  defaultTimeout = validTimeout(ms);
}

function ebadf(syscall: string): OSError {
  return errnoError(EBADF, syscall);
}

/** Waits (blocking) until `fd` polls ready for `events` or `ms` elapse. */
function pollOnce(fd: number, events: number, ms: number): boolean {
  pollView.setInt32(layout.pollfd.fd, fd, LITTLE);
  pollView.setInt16(layout.pollfd.events, events, LITTLE);
  pollView.setInt16(layout.pollfd.revents, 0, LITTLE);
  const r = libc.poll(pollBuf, ONE, ms);
  if (r === -1) {
    const e = errno();
    if (e === EINTR) return false;
    throw errnoError(e, "poll");
  }
  return r > 0;
}

const registry = new FinalizationRegistry<number>((fd) => {
  // Backstop for a socket dropped without close(): its fd would leak.
  libc.close(fd);
});

const inspectDeno = Symbol.for("Deno.customInspect");
const inspectNode = Symbol.for("nodejs.util.inspect.custom");

function constName(prefix: string, value: number): string {
  for (const [k, v] of Object.entries(C)) {
    if (v === value && k.startsWith(prefix)) return k;
  }
  return String(value);
}

function formatAddress(a: Address): string {
  if (typeof a === "string") return a === "" ? "''" : a;
  if (a instanceof Uint8Array) {
    return JSON.stringify(new TextDecoder().decode(a));
  }
  if ("host" in a && "port" in a) {
    return a.host.includes(":")
      ? `[${a.host}]:${a.port}`
      : `${a.host}:${a.port}`;
  }
  return JSON.stringify(a);
}

export type { AsyncOptions } from "./_core.ts";

/** FIFO of async calls in one direction, so concurrent calls keep order. */
class Lane {
  #busy = false;
  #queue: (() => void)[] = [];

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#busy) await new Promise<void>((r) => this.#queue.push(r));
    else this.#busy = true;
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next !== undefined) next();
      else this.#busy = false;
    }
  }

  get busy(): boolean {
    return this.#busy;
  }
}

/**
 * A BSD socket, as Python's `socket.socket`: the descriptor, its mode
 * (blocking, timeout, non-blocking), and one method per system call.
 *
 * Calls that may wait come in pairs: `recv()` returns a Promise and never
 * blocks the thread; `recvSync()` blocks, honouring the socket's mode
 * exactly as Python does.
 *
 * @example A TCP echo round trip on loopback
 * ```ts
 * import { AF_INET, SOCK_STREAM, Socket } from "@sockets/socket";
 * using server = new Socket(AF_INET, SOCK_STREAM);
 * server.bind({ host: "127.0.0.1", port: 0 });
 * server.listen();
 * using client = new Socket(AF_INET, SOCK_STREAM);
 * client.connectSync(server.getsockname());
 * const [conn] = server.acceptSync();
 * client.sendAllSync(new TextEncoder().encode("ping"));
 * console.log(new TextDecoder().decode(conn.recvSync(4))); // "ping"
 * conn.close();
 * ```
 */
export class Socket implements Disposable, AsyncDisposable {
  #fd: number;
  /** We set O_NONBLOCK for async calls while the mode is blocking. */
  #nbForAsync = false;
  #readLane: Lane | undefined;
  #writeLane: Lane | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #core: SocketCore | undefined;
  /** The last address encoded without a lookup, and its bytes. */
  #encoded: { key: unknown; bytes: Uint8Array } | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  #family: number;
  #type: number;
  #proto: number;
  /** ms; null = blocking, 0 = non-blocking. */
  #timeout: number | null;

  /**
   * Creates a socket (`socket(2)`), or adopts an open descriptor when
   * `fileno` is given; then `family`, `type` and `proto` left undefined are
   * read from the descriptor (`SO_DOMAIN`, `SO_TYPE`, `SO_PROTOCOL`).
   *
   * The descriptor is close-on-exec. `SOCK_NONBLOCK` in `type` makes the
   * socket non-blocking; otherwise it starts with the default timeout.
   *
   * @param family address family, default `AF_INET`
   * @param type socket type, default `SOCK_STREAM`; may include
   *   `SOCK_NONBLOCK`/`SOCK_CLOEXEC`, which `.type` does not show
   * @param proto protocol, default 0
   * @param fileno an open socket descriptor to adopt
   * @throws {OSError} when the system refuses (e.g. `EAFNOSUPPORT`)
   * @example
   * ```ts
   * import { AF_INET6, SOCK_DGRAM, Socket } from "@sockets/socket";
   * using s = new Socket(AF_INET6, SOCK_DGRAM);
   * s.bind({ host: "::1", port: 0 });
   * console.log(s.getsockname()); // { host: "::1", port: ..., flowinfo: 0, scopeId: 0 }
   * ```
   */
  constructor(
    family?: number,
    type?: number,
    proto?: number,
    fileno?: number,
  ) {
    if (fileno !== undefined && fileno !== null) {
      const fd = intArg(fileno, "fileno");
      if (fd < 0) throw new RangeError(`negative file descriptor ${fd}`);
      family ??= Socket.#query(fd, SO_DOMAIN, "SO_DOMAIN");
      type ??= Socket.#query(fd, SO_TYPE, "SO_TYPE");
      proto ??= Socket.#query(fd, SO_PROTOCOL, "SO_PROTOCOL");
      this.#fd = fd;
    } else {
      family = intArg(family ?? AF_INET, "family");
      type = intArg(type ?? SOCK_STREAM, "type");
      proto = intArg(proto ?? 0, "proto");
      this.#fd = check(
        libc.socket(family, type | SOCK_CLOEXEC, proto),
        "socket",
      );
    }
    this.#family = intArg(family, "family");
    const t = intArg(type, "type");
    this.#type = t & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    this.#proto = intArg(proto, "proto");
    registry.register(this, this.#fd, this);
    if (SOCK_NONBLOCK !== 0 && (t & SOCK_NONBLOCK) !== 0) {
      this.#timeout = 0;
      this.#setNonblockingFd(true);
    } else {
      this.#timeout = defaultTimeout;
      if (defaultTimeout !== null) this.#setNonblockingFd(true);
    }
  }

  static #query(fd: number, name: number | undefined, what: string): number {
    if (name === undefined) {
      throw new OSError(EINVAL, `cannot infer ${what} from a descriptor`);
    }
    lenView.setUint32(0, INT, LITTLE);
    const r = libc.getsockopt(fd, SOL_SOCKET, name, intBuf, lenBuf);
    if (r === -1) {
      const e = errno();
      throw errnoError(e === EBADF ? EBADF : e, "getsockopt");
    }
    return intView.getInt32(0, LITTLE);
  }

  /** Address family (`AF_INET`, `AF_UNIX`, ...). */
  get family(): number {
    return this.#family;
  }

  /** Socket type, without `SOCK_NONBLOCK`/`SOCK_CLOEXEC`. */
  get type(): number {
    return this.#type;
  }

  /** Protocol number. */
  get proto(): number {
    return this.#proto;
  }

  /**
   * The descriptor, or -1 once closed or detached.
   *
   * @returns the file descriptor
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * const s = socket();
   * console.log(s.fileno() >= 0); // true
   * s.close();
   * console.log(s.fileno()); // -1
   * ```
   */
  fileno(): number {
    return this.#fd;
  }

  /**
   * Closes the descriptor (`close(2)`). Idempotent: the descriptor becomes
   * -1 at once, so no later call can reach a number the system reused.
   *
   * @throws {OSError} when `close(2)` fails (other than `ECONNRESET`)
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * const s = socket();
   * s.close();
   * s.close(); // no-op
   * ```
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    registry.unregister(this);
    reactor().forget(fd);
    if (libc.close(fd) === -1) {
      const e = errno();
      // The descriptor is released even on EINTR on Linux: never retry.
      if (e !== ECONNRESET && e !== EINTR) throw errnoError(e, "close");
    }
  }

  /**
   * Gives up the descriptor without closing it and returns it; the socket
   * acts closed afterwards.
   *
   * @returns the descriptor, now owned by the caller
   * @example
   * ```ts
   * import { Socket, socket } from "@sockets/socket";
   * const s = socket();
   * const fd = s.detach();
   * using again = new Socket(undefined, undefined, undefined, fd);
   * ```
   */
  detach(): number {
    const fd = this.#fd;
    if (fd >= 0) {
      reactor().forget(fd);
      // Hand it over in the mode it claims to be in.
      if (this.#nbForAsync) this.#setNonblockingFd(false);
    }
    this.#fd = -1;
    registry.unregister(this);
    return fd;
  }

  /**
   * A new socket on a duplicate of the descriptor (close-on-exec), with the
   * same family, type, protocol and timeout.
   *
   * @returns the duplicate
   * @throws {OSError} `EBADF` when closed
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * using d = s.dup();
   * console.log(d.fileno() !== s.fileno()); // true
   * ```
   */
  dup(): Socket {
    const fd = this.#fdFor("dup");
    const nfd = check(libc.fcntl(fd, F_DUPFD_CLOEXEC, 0), "dup");
    const s = new Socket(this.#family, this.#type, this.#proto, nfd);
    s.setTimeout(this.#timeout);
    return s;
  }

  /** Closes the socket (`using s = socket()`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes the socket (`await using s = socket()`). */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /** @internal */
  get [core](): SocketCore {
    return this.#core ??= {
      fd: (syscall) => this.#fdFor(syscall),
      encode: (address) => this.#encode(address),
      decode: (bytes) => decodeAddress(bytes, addressContext),
      sync: (dir, syscall, attempt) =>
        this.#syncDrive(dir === "read" ? POLLIN : POLLOUT, syscall, attempt),
      async: (dir, syscall, options, attempt) =>
        this.#drive(
          dir === "read" ? this.#reads : this.#writes,
          dir === "read" ? READ : WRITE,
          syscall,
          options,
          attempt,
        ),
    };
  }

  /** The blocking driver: Python's mode rules around one system call. */
  #syncDrive<T>(events: number, syscall: string, attempt: Attempt<T>): T {
    let deadline = -1;
    for (;;) {
      this.#fdFor(syscall);
      const r = attempt();
      if (r !== FAILED) return r;
      deadline = this.#retry(errno(), events, syscall, deadline);
    }
  }

  #fdFor(syscall: string): number {
    const fd = this.#fd;
    if (fd < 0) throw ebadf(syscall);
    return fd;
  }

  #encode(address: unknown): Uint8Array {
    // sendto() in a loop names the same peer each time: reuse the bytes
    // while the address has the same value (names that needed a lookup
    // are never cached: Python resolves them on every call).
    const hit = this.#encoded;
    if (hit !== undefined) {
      if (typeof address === "string") {
        if (address === hit.key) return hit.bytes;
      } else if (
        typeof address === "object" && address !== null &&
        !(address instanceof Uint8Array) && typeof hit.key === "object"
      ) {
        const a = address as Record<string, unknown>;
        const k = hit.key as Record<string, unknown>;
        if (
          a.host === k.host && a.port === k.port &&
          a.flowinfo === k.flowinfo && a.scopeId === k.scopeId
        ) return hit.bytes;
      }
    }
    looked = false;
    const bytes = encodeAddress(this.#family, address, trackLookups);
    if (!looked) this.#remember(address, bytes);
    return bytes;
  }

  #remember(address: unknown, bytes: Uint8Array): void {
    if (typeof address === "string") this.#encoded = { key: address, bytes };
    else if (
      typeof address === "object" && address !== null &&
      !(address instanceof Uint8Array)
    ) {
      const a = address as Record<string, unknown>;
      const key = {
        host: a.host,
        port: a.port,
        flowinfo: a.flowinfo,
        scopeId: a.scopeId,
      };
      this.#encoded = { key, bytes };
    }
  }

  /** Like #encode, but a host name is resolved without blocking. */
  async #encodeAsync(address: unknown): Promise<Uint8Array> {
    try {
      return encodeAddress(this.#family, address, deferLookup);
    } catch (e) {
      if (e !== NEEDS_LOOKUP) throw e;
    }
    const [host, family] = lookup;
    const bytes = await resolveHostAsync(host, family);
    return encodeAddress(this.#family, address, {
      ...addressContext,
      resolve: () => bytes,
    });
  }

  /** Reads the address the kernel wrote into the scratch buffer. */
  #decodeScratch(): Address {
    const len = Math.min(lenView.getUint32(0, LITTLE), STORAGE);
    return decodeCached(len);
  }

  #setNonblockingFd(on: boolean): void {
    const fd = this.#fdFor("fcntl");
    const flags = check(libc.fcntl(fd, F_GETFL, 0), "fcntl");
    const next = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (next !== flags) check(libc.fcntl(fd, F_SETFL, next), "fcntl");
  }

  /**
   * After a failed call with errno `e`: returns the deadline to retry
   * with, or throws. EINTR retries (PEP 475); EAGAIN on a socket with a
   * timeout waits for readiness until the deadline.
   */
  #retry(
    e: number,
    events: number,
    syscall: string,
    deadline: number,
  ): number {
    if (e === EINTR) return deadline;
    const t = this.#timeout;
    const again = e === EAGAIN || e === EWOULDBLOCK;
    if (again && t === null && this.#nbForAsync) {
      // Blocking mode on a descriptor the async calls made non-blocking.
      pollOnce(this.#fdFor(syscall), events, -1);
      return deadline;
    }
    if (!again || t === null || t === 0) throw errnoError(e, syscall);
    if (deadline < 0) deadline = performance.now() + t;
    this.#waitUntil(events, deadline, syscall);
    return deadline;
  }

  /** Polls until ready or the deadline passes (TimeoutError). */
  #waitUntil(events: number, deadline: number, syscall: string): void {
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) throw new TimeoutError(undefined, undefined, syscall);
      if (pollOnce(this.#fdFor(syscall), events, Math.ceil(left))) return;
    }
  }

  /**
   * Binds the socket to a local address (`bind(2)`).
   *
   * @param address the family's address shape (see the README's table)
   * @throws {TypeError|RangeError} for a malformed address, before any call
   * @throws {OSError} e.g. `EADDRINUSE`
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * s.bind({ host: "127.0.0.1", port: 0 });
   * const { port } = s.getsockname() as { host: string; port: number };
   * console.log(port > 0); // true
   * ```
   */
  bind(address: Address): void {
    const sa = this.#encode(address);
    check(libc.bind(this.#fdFor("bind"), sa, sa.byteLength), "bind");
  }

  /**
   * Marks the socket as accepting connections (`listen(2)`).
   *
   * @param backlog queue length; default `min(SOMAXCONN, 128)` as Python
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * s.bind({ host: "127.0.0.1", port: 0 });
   * s.listen(16);
   * ```
   */
  listen(backlog?: number): void {
    const b = backlog === undefined
      ? Math.min(C.SOMAXCONN ?? 128, 128)
      : Math.max(intArg(backlog, "backlog"), 0);
    check(libc.listen(this.#fdFor("listen"), b), "listen");
  }

  /**
   * The socket's own address (`getsockname(2)`).
   *
   * @returns the address in the family's shape
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * s.bind({ host: "127.0.0.1", port: 0 });
   * const { host, port } = s.getsockname() as { host: string; port: number };
   * ```
   */
  getsockname(): Address {
    const fd = this.#fdFor("getsockname");
    lenView.setUint32(0, STORAGE, LITTLE);
    check(libc.getsockname(fd, addrBuf, lenBuf), "getsockname");
    return this.#decodeScratch();
  }

  /**
   * The connected peer's address (`getpeername(2)`).
   *
   * @returns the peer address in the family's shape
   * @throws {OSError} `ENOTCONN` when not connected
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * console.log(a.getpeername()); // "" (unnamed unix socket)
   * a.close();
   * b.close();
   * ```
   */
  getpeername(): Address {
    const fd = this.#fdFor("getpeername");
    lenView.setUint32(0, STORAGE, LITTLE);
    check(libc.getpeername(fd, addrBuf, lenBuf), "getpeername");
    return this.#decodeScratch();
  }

  /**
   * Shuts down one or both directions (`shutdown(2)`).
   *
   * @param how `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`
   * @example
   * ```ts
   * import { SHUT_WR, socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * a.shutdown(SHUT_WR);
   * console.log(b.recvSync(10).length); // 0: end of stream
   * a.close();
   * b.close();
   * ```
   */
  shutdown(how: number): void {
    const h = intArg(how, "how");
    check(libc.shutdown(this.#fdFor("shutdown"), h), "shutdown");
  }

  /**
   * Reads a socket option (`getsockopt(2)`): an `int` when `buflen` is
   * omitted, else up to `buflen` raw bytes.
   *
   * @param level `SOL_SOCKET`, `IPPROTO_TCP`, ...
   * @param name the option
   * @param buflen byte length to read (1..1024)
   * @returns the integer value, or the bytes
   * @example
   * ```ts
   * import { SO_TYPE, SOL_SOCKET, socket } from "@sockets/socket";
   * using s = socket();
   * console.log(s.getsockopt(SOL_SOCKET, SO_TYPE)); // 1 (SOCK_STREAM)
   * ```
   */
  getsockopt(level: number, name: number): number;
  /**
   * Reads up to `buflen` raw bytes of a socket option.
   *
   * @param level the option level
   * @param name the option
   * @param buflen byte length to read (1..1024)
   * @returns the bytes the kernel wrote
   * @example
   * ```ts
   * import { SO_LINGER, SOL_SOCKET, socket } from "@sockets/socket";
   * using s = socket();
   * console.log(s.getsockopt(SOL_SOCKET, SO_LINGER, 8)); // struct linger
   * ```
   */
  getsockopt(level: number, name: number, buflen: number): Uint8Array;
  getsockopt(
    level: number,
    name: number,
    buflen?: number,
  ): number | Uint8Array {
    const lv = intArg(level, "level");
    const nm = intArg(name, "option");
    if (buflen === undefined) {
      const fd = this.#fdFor("getsockopt");
      intView.setInt32(0, 0, LITTLE);
      lenView.setUint32(0, INT, LITTLE);
      check(libc.getsockopt(fd, lv, nm, intBuf, lenBuf), "getsockopt");
      return intView.getInt32(0, LITTLE);
    }
    const n = intArg(buflen, "buflen");
    if (n <= 0 || n > 1024) {
      throw new OSError(EINVAL, "getsockopt buflen out of range");
    }
    const fd = this.#fdFor("getsockopt");
    const out = new Uint8Array(n);
    lenView.setUint32(0, n, LITTLE);
    check(libc.getsockopt(fd, lv, nm, out, lenBuf), "getsockopt");
    return out.slice(0, Math.min(lenView.getUint32(0, LITTLE), n));
  }

  /**
   * Sets a socket option (`setsockopt(2)`): a number or boolean is passed
   * as a C `int`, a Uint8Array as raw bytes, and `null` with `optlen` as a
   * NULL pointer of that length.
   *
   * @param level `SOL_SOCKET`, `IPPROTO_TCP`, ...
   * @param name the option
   * @param value the value
   * @param optlen only with `value === null`
   * @example
   * ```ts
   * import { SO_REUSEADDR, SOL_SOCKET, socket } from "@sockets/socket";
   * using s = socket();
   * s.setsockopt(SOL_SOCKET, SO_REUSEADDR, true);
   * console.log(s.getsockopt(SOL_SOCKET, SO_REUSEADDR)); // 1
   * ```
   */
  setsockopt(
    level: number,
    name: number,
    value: number | boolean | Uint8Array,
  ): void;
  /**
   * Sets an option from a NULL pointer and a length (`ALG_SET_AEAD_AUTHSIZE`).
   *
   * @param level the option level
   * @param name the option
   * @param value `null`
   * @param optlen the length passed with the NULL pointer
   * @example
   * ```ts
   * import { SO_REUSEADDR, SOL_SOCKET, socket } from "@sockets/socket";
   * using s = socket();
   * try { s.setsockopt(SOL_SOCKET, SO_REUSEADDR, null, 4); } catch (e) { console.log(e); } // EFAULT
   * ```
   */
  setsockopt(level: number, name: number, value: null, optlen: number): void;
  setsockopt(
    level: number,
    name: number,
    value: number | boolean | Uint8Array | null,
    optlen?: number,
  ): void {
    const lv = intArg(level, "level");
    const nm = intArg(name, "option");
    let buf: Uint8Array | null;
    let len: number;
    if (value === null) {
      if (optlen === undefined) {
        throw new TypeError("setsockopt() with a null value needs optlen");
      }
      buf = null;
      len = intArg(optlen, "optlen");
      if (len < 0) throw new RangeError("optlen must be >= 0");
    } else if (typeof value === "number" || typeof value === "boolean") {
      if (optlen !== undefined) {
        throw new TypeError("optlen is only allowed with a null value");
      }
      intView.setInt32(0, intArg(value, "option value"), LITTLE);
      buf = intBuf;
      len = INT;
    } else {
      if (optlen !== undefined) {
        throw new TypeError("optlen is only allowed with a null value");
      }
      buf = bytesArg(value, "option value");
      len = buf.byteLength;
    }
    const fd = this.#fdFor("setsockopt");
    check(libc.setsockopt(fd, lv, nm, buf, len), "setsockopt");
  }

  /**
   * `ioctl(2)` on the descriptor. A number or boolean is passed as a
   * pointer to a C `int` and the `int` after the call is returned
   * (`FIONREAD`, `FIONBIO`); a Uint8Array is copied into a buffer of at
   * least 1024 bytes (so a request writing more than was given cannot
   * overrun it) and the same number of bytes is returned after the call
   * (`SIOCGIFINDEX` with a `struct ifreq`).
   *
   * @param control the request code
   * @param option the argument
   * @returns the `int` or the bytes after the call
   * @example
   * ```ts
   * import { FIONREAD, socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * a.sendSync(new Uint8Array(3));
   * console.log(b.ioctl(FIONREAD!, 0)); // 3
   * a.close();
   * b.close();
   * ```
   */
  ioctl(
    control: number,
    option: number | boolean | Uint8Array | [number, number, number],
  ): number | Uint8Array {
    if (typeof control !== "number" || !Number.isInteger(control)) {
      throw new TypeError("ioctl control must be an integer");
    }
    if (control < -(2 ** 31) || control >= 2 ** 32) {
      throw new RangeError(`ioctl control out of range (${control})`);
    }
    const req = size(control >>> 0);
    if (Array.isArray(option)) {
      throw new TypeError("the [onoff, time, interval] form is Windows-only");
    }
    const isInt = typeof option === "number" || typeof option === "boolean";
    const given = isInt ? null : bytesArg(option, "ioctl argument");
    const scratch = new Uint8Array(Math.max(1024, given?.byteLength ?? 0));
    if (given !== null) scratch.set(given);
    else {
      new DataView(scratch.buffer).setInt32(
        0,
        intArg(option, "ioctl argument"),
        LITTLE,
      );
    }
    check(libc.ioctl(this.#fdFor("ioctl"), req, scratch), "ioctl");
    if (given === null) {
      return new DataView(scratch.buffer).getInt32(0, LITTLE);
    }
    return scratch.slice(0, given.byteLength);
  }

  /**
   * Blocking (`true`, timeout `null`) or non-blocking (`false`, timeout 0).
   *
   * @param flag blocking or not
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * s.setBlocking(false);
   * console.log(s.getTimeout()); // 0
   * ```
   */
  setBlocking(flag: boolean): void {
    this.setTimeout(flag ? null : 0);
  }

  /**
   * True only when the socket has no timeout (fully blocking).
   *
   * @returns whether the socket blocks without limit
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * s.setTimeout(100);
   * console.log(s.getBlocking()); // false
   * ```
   */
  getBlocking(): boolean {
    return this.#timeout === null;
  }

  /**
   * Sets the mode: `null` blocks, `0` is non-blocking, a positive number
   * bounds every blocking call to that many milliseconds.
   *
   * @param ms timeout in milliseconds, or `null`
   * @throws {RangeError} for negative, NaN or infinite values
   * @example
   * ```ts
   * import { TimeoutError, socket, SOCK_DGRAM, AF_INET } from "@sockets/socket";
   * using s = socket(AF_INET, SOCK_DGRAM);
   * s.bind({ host: "127.0.0.1", port: 0 });
   * s.setTimeout(50);
   * try { s.recvSync(10); } catch (e) { console.log(e instanceof TimeoutError); }
   * ```
   */
  setTimeout(ms: number | null): void {
    const t = validTimeout(ms);
    this.#setNonblockingFd(t !== null);
    this.#nbForAsync = false;
    this.#timeout = t;
  }

  /**
   * The timeout in milliseconds, `0` when non-blocking, `null` when
   * blocking.
   *
   * @returns the timeout
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * console.log(s.getTimeout()); // null
   * ```
   */
  getTimeout(): number | null {
    return this.#timeout;
  }

  /**
   * Whether child processes inherit the descriptor (clears or sets
   * `FD_CLOEXEC`). Sockets start non-inheritable.
   *
   * @param flag inheritable or not
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * s.setInheritable(true);
   * console.log(s.getInheritable()); // true
   * ```
   */
  setInheritable(flag: boolean): void {
    const fd = this.#fdFor("fcntl");
    const f = check(libc.fcntl(fd, F_GETFD, 0), "fcntl");
    const next = flag ? f & ~FD_CLOEXEC : f | FD_CLOEXEC;
    if (next !== f) check(libc.fcntl(fd, F_SETFD, next), "fcntl");
  }

  /**
   * Whether child processes inherit the descriptor.
   *
   * @returns true when `FD_CLOEXEC` is clear
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * console.log(s.getInheritable()); // false
   * ```
   */
  getInheritable(): boolean {
    const fd = this.#fdFor("fcntl");
    return (check(libc.fcntl(fd, F_GETFD, 0), "fcntl") & FD_CLOEXEC) === 0;
  }

  /**
   * Windows only (`WSADuplicateSocket`); elsewhere throws OSError.
   *
   * @param _processId the target process
   * @returns the share blob
   * @throws {OSError} `EOPNOTSUPP` on this platform
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * try { s.share(1); } catch (e) { console.log((e as Error).message); }
   * ```
   */
  share(_processId: number): Uint8Array {
    throw new OSError(
      errnoCodes.EOPNOTSUPP,
      "share() is only available on Windows",
      "share",
    );
  }

  /**
   * Accepts a connection (`accept4(2)`, close-on-exec). The new socket
   * starts with the default timeout.
   *
   * @returns the connected socket and the peer's address
   * @throws {TimeoutError} when the socket's timeout expires
   * @throws {BlockingIOError} on a non-blocking socket with nothing queued
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using server = socket();
   * server.bind({ host: "127.0.0.1", port: 0 });
   * server.listen();
   * using client = socket();
   * client.connectSync(server.getsockname());
   * const [conn, peer] = server.acceptSync();
   * conn.close();
   * ```
   */
  acceptSync(): [Socket, Address] {
    let deadline = -1;
    for (;;) {
      const fd = this.#fdFor("accept");
      lenView.setUint32(0, STORAGE, LITTLE);
      const r = libc.accept4(fd, addrBuf, lenBuf, SOCK_CLOEXEC);
      if (r >= 0) return this.#adopt(r);
      deadline = this.#retry(errno(), POLLIN, "accept", deadline);
    }
  }

  /** Wraps a freshly accepted descriptor whose peer is in scratch. */
  #adopt(fd: number): [Socket, Address] {
    const address = this.#decodeScratch();
    const s = new Socket(this.#family, this.#type, this.#proto, fd);
    return [s, address];
  }

  /**
   * Connects (`connect(2)`). With a timeout, waits for the handshake up to
   * the timeout; a non-blocking socket throws `BlockingIOError`
   * (`EINPROGRESS`).
   *
   * @param address the peer
   * @throws {ConnectionRefusedError} and other OSErrors
   * @throws {TimeoutError} when the timeout expires
   * @example
   * ```ts
   * import { ConnectionRefusedError, socket } from "@sockets/socket";
   * using s = socket();
   * try {
   *   s.connectSync({ host: "127.0.0.1", port: 1 });
   * } catch (e) {
   *   console.log(e instanceof ConnectionRefusedError); // true
   * }
   * ```
   */
  connectSync(address: Address): void {
    const e = this.#connect(this.#encode(address));
    if (e === -1) throw new TimeoutError(undefined, undefined, "connect");
    if (e !== 0) throw errnoError(e, "connect");
  }

  /**
   * Like {@link Socket.connectSync} but returns the errno instead of
   * throwing (0 on success; `EWOULDBLOCK` on timeout, as Python). Address
   * errors still throw.
   *
   * @param address the peer
   * @returns 0 or the error number
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * console.log(s.connectExSync({ host: "127.0.0.1", port: 1 })); // 111
   * ```
   */
  connectExSync(address: Address): number {
    const e = this.#connect(this.#encode(address));
    return e === -1 ? EWOULDBLOCK : e;
  }

  /** connect(2) with Python's semantics; errno, 0, or -1 for a timeout. */
  #connect(sa: Uint8Array): number {
    const fd = this.#fdFor("connect");
    if (libc.connect(fd, sa, sa.byteLength) === 0) return 0;
    const e = errno();
    const t = this.#timeout;
    const waitable = (e === EINTR && t !== 0) ||
      (e === EINPROGRESS && (t === null ? this.#nbForAsync : t > 0));
    if (!waitable) return e;
    // The handshake goes on in the kernel: wait for writability (forever
    // when blocking and interrupted, PEP 475), then read its outcome.
    const deadline = t === null ? Infinity : performance.now() + t;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return -1;
      const ms = left === Infinity ? -1 : Math.ceil(left);
      if (pollOnce(this.#fdFor("connect"), POLLOUT, ms)) break;
    }
    return this.#soError();
  }

  #soError(): number {
    return this.getsockopt(SOL_SOCKET, SO_ERROR);
  }

  /**
   * Sends bytes (`send(2)`, with `MSG_NOSIGNAL` so a closed peer gives
   * `BrokenPipeError`, never a signal); returns how many were sent.
   *
   * @param data the bytes
   * @param flags `MSG_*` flags
   * @returns the number of bytes sent
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * console.log(a.sendSync(new Uint8Array([1, 2, 3]))); // 3
   * a.close();
   * b.close();
   * ```
   */
  sendSync(data: Uint8Array, flags = 0): number {
    const buf = bytesArg(data);
    const f = intArg(flags, "flags") | MSG_NOSIGNAL;
    const len = ioSize(buf.byteLength);
    let deadline = -1;
    for (;;) {
      const n = libc.send(this.#fdFor("send"), buf, len, f);
      if (n >= 0) return n;
      deadline = this.#retry(errno(), POLLOUT, "send", deadline);
    }
  }

  /**
   * Sends every byte, continuing after partial writes. With a timeout, the
   * timeout bounds the whole call, as Python 3.5+.
   *
   * @param data the bytes
   * @param flags `MSG_*` flags
   * @throws {OSError} with `bytesSent` set to how much went out before it
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * a.sendAllSync(new TextEncoder().encode("hello"));
   * a.close();
   * b.close();
   * ```
   */
  sendAllSync(data: Uint8Array, flags = 0): void {
    const buf = bytesArg(data);
    const f = intArg(flags, "flags") | MSG_NOSIGNAL;
    let off = 0;
    const t = this.#timeout;
    let deadline = t !== null && t > 0 ? performance.now() + t : -1;
    const total = buf.byteLength;
    while (off < total || total === 0) {
      const chunk = off === 0 ? buf : buf.subarray(off);
      const n = libc.send(this.#fdFor("send"), chunk, ioSize(total - off), f);
      if (n >= 0) {
        off += n;
        if (total === 0) return;
        continue;
      }
      try {
        deadline = this.#retry(errno(), POLLOUT, "send", deadline);
      } catch (err) {
        if (err instanceof OSError) {
          (err as OSError & { bytesSent: number }).bytesSent = off;
        }
        throw err;
      }
    }
  }

  /**
   * Sends a datagram to `address` (`sendto(2)`).
   *
   * @param data the bytes
   * @param flagsOrAddress `MSG_*` flags, or the address
   * @param address the address when flags are given
   * @returns the number of bytes sent
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * s.sendtoSync(new Uint8Array([42]), r.getsockname());
   * const [data, from] = r.recvfromSync(16);
   * ```
   */
  sendtoSync(data: Uint8Array, address: Address): number;
  /**
   * Sends a datagram to `address` with `MSG_*` flags (`sendto(2)`).
   *
   * @param data the bytes
   * @param flags `MSG_*` flags
   * @param address the destination
   * @returns the number of bytes sent
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * s.sendtoSync(new Uint8Array([1]), 0, r.getsockname());
   * ```
   */
  sendtoSync(data: Uint8Array, flags: number, address: Address): number;
  sendtoSync(
    data: Uint8Array,
    flagsOrAddress: number | Address,
    address?: Address,
  ): number {
    const buf = bytesArg(data);
    const [flags, addr] = address === undefined
      ? [0, flagsOrAddress]
      : [intArg(flagsOrAddress, "flags"), address];
    const sa = this.#encode(addr);
    const f = flags | MSG_NOSIGNAL;
    const len = ioSize(buf.byteLength);
    let deadline = -1;
    for (;;) {
      const fd = this.#fdFor("sendto");
      const n = libc.sendto(fd, buf, len, f, sa, sa.byteLength);
      if (n >= 0) return n;
      deadline = this.#retry(errno(), POLLOUT, "sendto", deadline);
    }
  }

  /**
   * Receives up to `bufsize` bytes (`recv(2)`); an empty result means the
   * peer closed the stream.
   *
   * @param bufsize the most bytes to take
   * @param flags `MSG_*` flags
   * @returns the bytes received
   * @throws {RangeError} for a negative `bufsize`
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * a.sendSync(new Uint8Array([7]));
   * console.log(b.recvSync(10)); // Uint8Array(1) [ 7 ]
   * a.close();
   * b.close();
   * ```
   */
  recvSync(bufsize: number, flags = 0): Uint8Array {
    const want = sizeArg(bufsize, "buffersize in recv");
    const buf = new Uint8Array(want);
    const n = this.recvIntoSync(buf, want, flags);
    return shrink(buf, n);
  }

  /**
   * Receives into `buffer` (`recv(2)`), at most `nbytes` (default: the
   * whole buffer); returns the count.
   *
   * @param buffer where the bytes go
   * @param nbytes the most to take; 0 means `buffer.byteLength`
   * @param flags `MSG_*` flags
   * @returns the number of bytes received
   * @throws {RangeError} when `nbytes` is negative or exceeds the buffer
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * a.sendSync(new Uint8Array([1, 2]));
   * const buf = new Uint8Array(64);
   * console.log(b.recvIntoSync(buf)); // 2
   * a.close();
   * b.close();
   * ```
   */
  recvIntoSync(buffer: Uint8Array, nbytes = 0, flags = 0): number {
    const buf = bytesArg(buffer, "buffer");
    const len = ioSize(intoLength(buf, nbytes, "recv_into"));
    const f = intArg(flags, "flags");
    let deadline = -1;
    for (;;) {
      const n = libc.recv(this.#fdFor("recv"), buf, len, f);
      if (n >= 0) return n;
      deadline = this.#retry(errno(), POLLIN, "recv", deadline);
    }
  }

  /**
   * Receives a datagram or bytes and the sender's address
   * (`recvfrom(2)`); the address is `null` when the system gives none.
   *
   * @param bufsize the most bytes to take
   * @param flags `MSG_*` flags
   * @returns the bytes and the sender
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * s.sendtoSync(new Uint8Array([1]), r.getsockname());
   * const [data, from] = r.recvfromSync(16);
   * ```
   */
  recvfromSync(bufsize: number, flags = 0): [Uint8Array, Address | null] {
    const want = sizeArg(bufsize, "buffersize in recvfrom");
    const buf = new Uint8Array(want);
    const [n, address] = this.recvfromIntoSync(buf, want, flags);
    return [shrink(buf, n), address];
  }

  /**
   * Like {@link Socket.recvfromSync} into a buffer you own.
   *
   * @param buffer where the bytes go
   * @param nbytes the most to take; 0 means `buffer.byteLength`
   * @param flags `MSG_*` flags
   * @returns the count and the sender
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * s.sendtoSync(new Uint8Array([1, 2]), r.getsockname());
   * const buf = new Uint8Array(16);
   * const [n, from] = r.recvfromIntoSync(buf);
   * ```
   */
  recvfromIntoSync(
    buffer: Uint8Array,
    nbytes = 0,
    flags = 0,
  ): [number, Address | null] {
    const buf = bytesArg(buffer, "buffer");
    const len = ioSize(intoLength(buf, nbytes, "recvfrom_into"));
    const f = intArg(flags, "flags");
    let deadline = -1;
    for (;;) {
      const fd = this.#fdFor("recvfrom");
      lenView.setUint32(0, STORAGE, LITTLE);
      const n = libc.recvfrom(fd, buf, len, f, addrBuf, lenBuf);
      if (n >= 0) return [n, this.#scratchOrNull()];
      deadline = this.#retry(errno(), POLLIN, "recvfrom", deadline);
    }
  }

  #scratchOrNull(): Address | null {
    return lenView.getUint32(0, LITTLE) === 0 ? null : this.#decodeScratch();
  }

  // ---- async forms ------------------------------------------------------

  /** Makes the descriptor non-blocking for async calls (once). */
  #asyncFd(syscall: string): number {
    const fd = this.#fdFor(syscall);
    if (this.#timeout === null && !this.#nbForAsync) {
      this.#setNonblockingFd(true);
      this.#nbForAsync = true;
    }
    return fd;
  }

  /**
   * The async driver: tries `attempt` at once, and on EAGAIN waits for
   * readiness through the reactor, bounded by the socket's timeout (when
   * positive) and the signal. EINTR retries.
   */
  #drive<T>(
    lane: Lane,
    events: number,
    syscall: string,
    options: AsyncOptions | undefined,
    attempt: Attempt<T>,
  ): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (lane.busy) {
      return lane.run(() =>
        this.#waitAndRetry(events, syscall, signal, attempt, false)
      );
    }
    // Nobody queued ahead: try at once, with no async machinery at all.
    let r: T | typeof FAILED;
    try {
      this.#asyncFd(syscall);
      r = attempt();
    } catch (e) {
      return Promise.reject(e);
    }
    if (r !== FAILED) return Promise.resolve(r);
    const e = errno();
    if (e !== EINTR && e !== EAGAIN && e !== EWOULDBLOCK) {
      return Promise.reject(errnoError(e, syscall));
    }
    return lane.run(() =>
      this.#waitAndRetry(events, syscall, signal, attempt, e !== EINTR)
    );
  }

  /** The slow path of #drive: wait for readiness, retry, repeat. */
  async #waitAndRetry<T>(
    events: number,
    syscall: string,
    signal: AbortSignal | undefined,
    attempt: Attempt<T>,
    waitFirst: boolean,
  ): Promise<T> {
    const t = this.#timeout;
    const deadline = t !== null && t > 0 ? performance.now() + t : -1;
    if (waitFirst) {
      await reactor().wait(this.#fd, events, signal, deadline, syscall);
    }
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      this.#asyncFd(syscall);
      const r = attempt();
      if (r !== FAILED) return r;
      const e = errno();
      if (e === EINTR) continue;
      if (e !== EAGAIN && e !== EWOULDBLOCK) throw errnoError(e, syscall);
      await reactor().wait(this.#fd, events, signal, deadline, syscall);
    }
  }

  get #reads(): Lane {
    return this.#readLane ??= new Lane();
  }

  get #writes(): Lane {
    return this.#writeLane ??= new Lane();
  }

  /**
   * Accepts a connection without blocking the thread.
   *
   * @param options `{ signal }` to abort the wait; nothing is accepted then
   * @returns the connected socket and the peer's address
   * @throws {TimeoutError} when the socket's timeout (if positive) expires
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using server = socket();
   * server.bind({ host: "127.0.0.1", port: 0 });
   * server.listen();
   * using client = socket();
   * const accepting = server.accept();
   * await client.connect(server.getsockname());
   * const [conn, peer] = await accepting;
   * conn.close();
   * ```
   */
  accept(options?: AsyncOptions): Promise<[Socket, Address]> {
    return this.#drive(this.#reads, READ, "accept", options, () => {
      lenView.setUint32(0, STORAGE, LITTLE);
      const r = libc.accept4(this.#fd, addrBuf, lenBuf, SOCK_CLOEXEC);
      return r >= 0 ? this.#adopt(r) : FAILED;
    });
  }

  /**
   * Connects without blocking the thread: a non-blocking `connect(2)`,
   * then a wait for writability and `SO_ERROR`.
   *
   * @param address the peer
   * @param options `{ signal }`
   * @throws {ConnectionRefusedError} and other OSErrors
   * @throws {TimeoutError} when the socket's timeout (if positive) expires
   * @example
   * ```ts
   * import { ConnectionRefusedError, socket } from "@sockets/socket";
   * using s = socket();
   * try {
   *   await s.connect({ host: "127.0.0.1", port: 1 });
   * } catch (e) {
   *   console.log(e instanceof ConnectionRefusedError); // true
   * }
   * ```
   */
  async connect(address: Address, options?: AsyncOptions): Promise<void> {
    const e = await this.connectEx(address, options);
    if (e !== 0) throw errnoError(e, "connect");
  }

  /**
   * Like {@link Socket.connect} but resolves to the errno (0 on success).
   * A timeout still rejects with TimeoutError, an abort with the reason.
   *
   * @param address the peer
   * @param options `{ signal }`
   * @returns 0 or the error number
   * @example
   * ```ts
   * import { socket } from "@sockets/socket";
   * using s = socket();
   * console.log(await s.connectEx({ host: "127.0.0.1", port: 1 })); // 111
   * ```
   */
  async connectEx(address: Address, options?: AsyncOptions): Promise<number> {
    const sa = await this.#encodeAsync(address);
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    return await this.#writes.run(async () => {
      const fd = this.#asyncFd("connect");
      let r = libc.connect(fd, sa, sa.byteLength);
      while (r === -1 && errno() === EINTR) {
        r = libc.connect(fd, sa, sa.byteLength);
      }
      if (r === 0) return 0;
      const e = errno();
      if (e !== EINPROGRESS && e !== EAGAIN) return e;
      const t = this.#timeout;
      const deadline = t !== null && t > 0 ? performance.now() + t : -1;
      await reactor().wait(fd, WRITE, signal, deadline, "connect");
      return this.#soError();
    });
  }

  /**
   * Sends bytes without blocking the thread; resolves to how many went out.
   *
   * @param data the bytes
   * @param flags `MSG_*` flags
   * @param options `{ signal }`
   * @returns the number of bytes sent
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * console.log(await a.send(new Uint8Array([1, 2]))); // 2
   * a.close();
   * b.close();
   * ```
   */
  async send(
    data: Uint8Array,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<number> {
    const buf = bytesArg(data);
    const f = intArg(flags, "flags") | MSG_NOSIGNAL | MSG_DONTWAIT;
    const len = ioSize(buf.byteLength);
    return await this.#drive(this.#writes, WRITE, "send", options, () => {
      const n = libc.send(this.#fd, buf, len, f);
      return n >= 0 ? n : FAILED;
    });
  }

  /**
   * Sends every byte without blocking the thread, continuing after partial
   * writes. On failure the error (or the abort reason, when it is an
   * object) carries `bytesSent`: nothing is dropped silently.
   *
   * @param data the bytes
   * @param flags `MSG_*` flags
   * @param options `{ signal }`
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * await a.sendAll(new TextEncoder().encode("hello"));
   * a.close();
   * b.close();
   * ```
   */
  async sendAll(
    data: Uint8Array,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<void> {
    const buf = bytesArg(data);
    const f = intArg(flags, "flags") | MSG_NOSIGNAL | MSG_DONTWAIT;
    const total = buf.byteLength;
    let off = 0;
    try {
      await this.#drive(this.#writes, WRITE, "send", options, () => {
        for (;;) {
          const chunk = off === 0 ? buf : buf.subarray(off);
          const n = libc.send(this.#fd, chunk, ioSize(total - off), f);
          if (n < 0) return FAILED;
          off += n;
          if (off >= total) return undefined;
        }
      });
    } catch (err) {
      if (typeof err === "object" && err !== null && Object.isExtensible(err)) {
        (err as { bytesSent?: number }).bytesSent = off;
      }
      throw err;
    }
  }

  /**
   * Sends a datagram to `address` without blocking the thread.
   *
   * @param data the bytes
   * @param flagsOrAddress `MSG_*` flags, or the address
   * @param addressOrOptions the address (after flags), or `{ signal }`
   * @param options `{ signal }` after flags and address
   * @returns the number of bytes sent
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * await s.sendto(new Uint8Array([42]), r.getsockname());
   * const [data, from] = await r.recvfrom(16);
   * ```
   */
  sendto(
    data: Uint8Array,
    address: Address,
    options?: AsyncOptions,
  ): Promise<number>;
  /**
   * Sends a datagram to `address` with `MSG_*` flags, without blocking.
   *
   * @param data the bytes
   * @param flags `MSG_*` flags
   * @param address the destination
   * @param options `{ signal }`
   * @returns the number of bytes sent
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * await s.sendto(new Uint8Array([1]), 0, r.getsockname());
   * ```
   */
  sendto(
    data: Uint8Array,
    flags: number,
    address: Address,
    options?: AsyncOptions,
  ): Promise<number>;
  async sendto(
    data: Uint8Array,
    flagsOrAddress: number | Address,
    addressOrOptions?: Address | AsyncOptions,
    options?: AsyncOptions,
  ): Promise<number> {
    const buf = bytesArg(data);
    let flags = 0;
    let address: unknown = flagsOrAddress;
    let opts = addressOrOptions as AsyncOptions | undefined;
    if (typeof flagsOrAddress === "number") {
      flags = intArg(flagsOrAddress, "flags");
      address = addressOrOptions;
      opts = options;
    }
    const sa = await this.#encodeAsync(address);
    const f = flags | MSG_NOSIGNAL | MSG_DONTWAIT;
    const len = ioSize(buf.byteLength);
    return await this.#drive(this.#writes, WRITE, "sendto", opts, () => {
      const n = libc.sendto(this.#fd, buf, len, f, sa, sa.byteLength);
      return n >= 0 ? n : FAILED;
    });
  }

  /**
   * Receives up to `bufsize` bytes without blocking the thread; empty at
   * end of stream.
   *
   * @param bufsize the most bytes to take
   * @param flags `MSG_*` flags
   * @param options `{ signal }`; an abort consumes nothing
   * @returns the bytes
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * const pending = b.recv(10);
   * await a.send(new Uint8Array([9]));
   * console.log(await pending); // Uint8Array(1) [ 9 ]
   * a.close();
   * b.close();
   * ```
   */
  async recv(
    bufsize: number,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<Uint8Array> {
    const want = sizeArg(bufsize, "buffersize in recv");
    const buf = new Uint8Array(want);
    const n = await this.recvInto(buf, want, flags, options);
    return shrink(buf, n);
  }

  /**
   * Receives into `buffer` without blocking the thread.
   *
   * @param buffer where the bytes go
   * @param nbytes the most to take; 0 means the whole buffer
   * @param flags `MSG_*` flags
   * @param options `{ signal }`
   * @returns the count
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * await a.send(new Uint8Array([1, 2, 3]));
   * const buf = new Uint8Array(16);
   * console.log(await b.recvInto(buf)); // 3
   * a.close();
   * b.close();
   * ```
   */
  async recvInto(
    buffer: Uint8Array,
    nbytes = 0,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<number> {
    const buf = bytesArg(buffer, "buffer");
    const len = ioSize(intoLength(buf, nbytes, "recv_into"));
    const f = intArg(flags, "flags") | MSG_DONTWAIT;
    return await this.#drive(this.#reads, READ, "recv", options, () => {
      const n = libc.recv(this.#fd, buf, len, f);
      return n >= 0 ? n : FAILED;
    });
  }

  /**
   * Receives bytes and the sender's address without blocking the thread.
   *
   * @param bufsize the most bytes to take
   * @param flags `MSG_*` flags
   * @param options `{ signal }`
   * @returns the bytes and the sender (`null` when the system gives none)
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * await s.sendto(new Uint8Array([1]), r.getsockname());
   * const [data, from] = await r.recvfrom(16);
   * ```
   */
  async recvfrom(
    bufsize: number,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<[Uint8Array, Address | null]> {
    const want = sizeArg(bufsize, "buffersize in recvfrom");
    const buf = new Uint8Array(want);
    const [n, address] = await this.recvfromInto(buf, want, flags, options);
    return [shrink(buf, n), address];
  }

  /**
   * Like {@link Socket.recvfrom} into a buffer you own.
   *
   * @param buffer where the bytes go
   * @param nbytes the most to take; 0 means the whole buffer
   * @param flags `MSG_*` flags
   * @param options `{ signal }`
   * @returns the count and the sender
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * await s.sendto(new Uint8Array([1]), r.getsockname());
   * const [n, from] = await r.recvfromInto(new Uint8Array(16));
   * ```
   */
  async recvfromInto(
    buffer: Uint8Array,
    nbytes = 0,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<[number, Address | null]> {
    const buf = bytesArg(buffer, "buffer");
    const len = ioSize(intoLength(buf, nbytes, "recvfrom_into"));
    const f = intArg(flags, "flags") | MSG_DONTWAIT;
    return await this.#drive(this.#reads, READ, "recvfrom", options, () => {
      lenView.setUint32(0, STORAGE, LITTLE);
      const n = libc.recvfrom(this.#fd, buf, len, f, addrBuf, lenBuf);
      return n >= 0
        ? [n, this.#scratchOrNull()] as [number, Address | null]
        : FAILED;
    });
  }

  /**
   * The receiving side as a byte stream (the JavaScript `makefile("rb")`),
   * created on first use. End of stream closes it; `cancel()` shuts down
   * the read side; errors arrive as `OSError`. Reads are pulled on demand,
   * so a slow consumer keeps memory bounded.
   *
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * await a.sendAll(new TextEncoder().encode("line\n"));
   * a.close();
   * for await (const chunk of b.readable) console.log(chunk.length);
   * b.close();
   * ```
   */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const chunk = await this.recv(STREAM_CHUNK);
        if (chunk.byteLength === 0) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: () => {
        this.#shutdownQuietly(SHUT_RD);
      },
    }, { highWaterMark: 1 });
  }

  /**
   * The sending side as a byte stream (the JavaScript `makefile("wb")`),
   * created on first use. Each chunk is sent whole before the next is
   * taken (backpressure); `close()` shuts down the write side.
   *
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * const w = a.writable.getWriter();
   * await w.write(new TextEncoder().encode("hi"));
   * await w.close();
   * console.log(b.recvSync(10).length); // 2
   * a.close();
   * b.close();
   * ```
   */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.sendAll(chunk),
      close: () => {
        this.#shutdownQuietly(SHUT_WR);
      },
      abort: () => {
        this.#shutdownQuietly(SHUT_WR);
      },
    }, { highWaterMark: 1 });
  }

  #shutdownQuietly(how: number): void {
    if (this.#fd < 0) return;
    if (libc.shutdown(this.#fd, how) === -1) {
      const e = errno();
      if (e !== ENOTCONN) throw errnoError(e, "shutdown");
    }
  }

  // ---- messages: implemented in messages.ts ----

  /**
   * Receives up to `bufsize` bytes and up to `ancbufsize` bytes of control
   * messages (`recvmsg(2)`), blocking as the socket's mode says. Every
   * length the kernel returns is clamped to its buffer; an item cut short
   * by a small `ancbufsize` is returned as far as it fits (`MSG_CTRUNC` in
   * `flags`). Descriptors that arrive (`SCM_RIGHTS`) are close-on-exec
   * (`MSG_CMSG_CLOEXEC`) and yours to close.
   *
   * @param bufsize the most bytes to take
   * @param ancbufsize the control buffer size; size it with
   *   {@link CMSG_SPACE} (0 = receive no control messages)
   * @param flags `MSG_*` flags (`MSG_PEEK`, `MSG_TRUNC`, ...)
   * @returns `{ data, ancdata, flags, address }`; `address` is `null` when
   *   the system gives none (connected or unnamed peers)
   * @throws {TypeError} for a non-integer argument
   * @throws {RangeError} for a negative `bufsize` or `ancbufsize`
   * @throws {TimeoutError} when the socket's timeout expires
   * @throws {BlockingIOError} on a non-blocking socket with nothing queued
   * @example
   * ```ts
   * import { AF_UNIX, SOCK_DGRAM, socketpair } from "@sockets/socket";
   * const [a, b] = socketpair(AF_UNIX!, SOCK_DGRAM);
   * a.sendSync(new TextEncoder().encode("hello"));
   * const { data, ancdata, flags } = b.recvmsgSync(64);
   * console.log(data.length, ancdata.length, flags); // 5 0 0
   * a.close();
   * b.close();
   * ```
   */
  recvmsgSync(bufsize: number, ancbufsize = 0, flags = 0): RecvMsg {
    return msgs.recvmsgSync(this, bufsize, ancbufsize, flags);
  }

  /**
   * Receives bytes and control messages (`recvmsg(2)`) without blocking
   * the thread. See {@link Socket.recvmsgSync} for the rules.
   *
   * @param bufsize the most bytes to take
   * @param ancbufsize the control buffer size (0 = none)
   * @param flags `MSG_*` flags
   * @param options `{ signal }`; an abort consumes nothing
   * @returns `{ data, ancdata, flags, address }`
   * @throws {TypeError} for a non-integer argument
   * @throws {RangeError} for a negative `bufsize` or `ancbufsize`
   * @throws {TimeoutError} when the socket's timeout (if positive) expires
   * @example
   * ```ts
   * import { AF_UNIX, SOCK_DGRAM, socketpair } from "@sockets/socket";
   * const [a, b] = socketpair(AF_UNIX!, SOCK_DGRAM);
   * const pending = b.recvmsg(64);
   * await a.send(new Uint8Array([1, 2, 3]));
   * console.log((await pending).data); // Uint8Array(3) [ 1, 2, 3 ]
   * a.close();
   * b.close();
   * ```
   */
  recvmsg(
    bufsize: number,
    ancbufsize = 0,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<RecvMsg> {
    return msgs.recvmsg(this, bufsize, ancbufsize, flags, options);
  }

  /**
   * Receives into several buffers in order (`recvmsg(2)` scatter), plus
   * control messages, blocking as the socket's mode says.
   *
   * @param buffers where the bytes go, filled one after the other
   * @param ancbufsize the control buffer size (0 = none)
   * @param flags `MSG_*` flags
   * @returns `{ nbytes, ancdata, flags, address }`
   * @throws {TypeError} when `buffers` is not an iterable of buffers
   * @throws {RangeError} for a negative `ancbufsize`
   * @throws {TimeoutError} when the socket's timeout expires
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * a.sendAllSync(new TextEncoder().encode("Mary had a little lamb"));
   * const head = new Uint8Array(4);
   * const rest = new Uint8Array(64);
   * const { nbytes } = b.recvmsgIntoSync([head, rest]);
   * console.log(nbytes); // 22
   * a.close();
   * b.close();
   * ```
   */
  recvmsgIntoSync(
    buffers: Iterable<Uint8Array>,
    ancbufsize = 0,
    flags = 0,
  ): RecvMsgInto {
    return msgs.recvmsgIntoSync(this, buffers, ancbufsize, flags);
  }

  /**
   * Receives into several buffers in order, plus control messages, without
   * blocking the thread. See {@link Socket.recvmsgIntoSync}.
   *
   * @param buffers where the bytes go, filled one after the other
   * @param ancbufsize the control buffer size (0 = none)
   * @param flags `MSG_*` flags
   * @param options `{ signal }`; an abort consumes nothing
   * @returns `{ nbytes, ancdata, flags, address }`
   * @throws {TypeError} when `buffers` is not an iterable of buffers
   * @throws {RangeError} for a negative `ancbufsize`
   * @throws {TimeoutError} when the socket's timeout (if positive) expires
   * @example
   * ```ts
   * import { socketpair } from "@sockets/socket";
   * const [a, b] = socketpair();
   * await a.sendAll(new Uint8Array([1, 2, 3, 4, 5]));
   * const x = new Uint8Array(2);
   * const y = new Uint8Array(8);
   * console.log((await b.recvmsgInto([x, y])).nbytes); // 5
   * a.close();
   * b.close();
   * ```
   */
  recvmsgInto(
    buffers: Iterable<Uint8Array>,
    ancbufsize = 0,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<RecvMsgInto> {
    return msgs.recvmsgInto(this, buffers, ancbufsize, flags, options);
  }

  /**
   * Sends the concatenation of `buffers` (`sendmsg(2)` gather) with control
   * messages, blocking as the socket's mode says. `MSG_NOSIGNAL` is added,
   * so a closed peer gives `BrokenPipeError`.
   *
   * @param buffers the bytes, gathered in order into one message
   * @param ancdata control messages, e.g. `cmsg.rights([fd])`
   * @param flags `MSG_*` flags
   * @param address the destination, for unconnected sockets
   * @returns the number of bytes sent
   * @throws {TypeError|RangeError} for malformed buffers, items or
   *   address, before any call
   * @throws {OSError} e.g. `EMSGSIZE`, `EBADF` for a closed passed fd
   * @example
   * ```ts
   * import { AF_UNIX, SOCK_DGRAM, socketpair } from "@sockets/socket";
   * const [a, b] = socketpair(AF_UNIX!, SOCK_DGRAM);
   * const te = new TextEncoder();
   * a.sendmsgSync([te.encode("Mary "), te.encode("had")]);
   * console.log(new TextDecoder().decode(b.recvSync(64))); // "Mary had"
   * a.close();
   * b.close();
   * ```
   */
  sendmsgSync(
    buffers: Iterable<Uint8Array>,
    ancdata: Iterable<AncData> = [],
    flags = 0,
    address?: Address | null,
  ): number {
    return msgs.sendmsgSync(this, buffers, ancdata, flags, address);
  }

  /**
   * Sends the concatenation of `buffers` with control messages without
   * blocking the thread. See {@link Socket.sendmsgSync}.
   *
   * @param buffers the bytes, gathered in order into one message
   * @param ancdata control messages
   * @param flags `MSG_*` flags
   * @param address the destination, for unconnected sockets (may be
   *   skipped: `sendmsg(bufs, [], 0, { signal })`)
   * @param options `{ signal }`; an abort sends nothing
   * @returns the number of bytes sent
   * @throws {TypeError|RangeError} for malformed arguments, before any call
   * @throws {OSError} e.g. `EMSGSIZE`
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * await s.sendmsg([new Uint8Array([1]), new Uint8Array([2])], [], 0, r.getsockname());
   * console.log((await r.recvmsg(16)).data); // Uint8Array(2) [ 1, 2 ]
   * ```
   */
  sendmsg(
    buffers: Iterable<Uint8Array>,
    ancdata: Iterable<AncData> = [],
    flags = 0,
    address?: Address | null | AsyncOptions,
    options?: AsyncOptions,
  ): Promise<number> {
    return msgs.sendmsg(this, buffers, ancdata, flags, address, options);
  }

  /**
   * Sends a file over a stream socket, blocking as the socket's mode
   * says: `sendfile(2)` on Linux, falling back to a `pread` + `send` loop
   * for files sendfile cannot take, as Python does. The socket's timeout
   * bounds each wait for the socket, not the whole transfer. On return
   * (or failure, with the error's `bytesSent`) the file is positioned
   * after the last byte sent.
   *
   * @param file a descriptor number, an object with a numeric `fd` (a
   *   `node:fs` `FileHandle`), or a seekable `Deno.FsFile`
   * @param offset where to start reading the file
   * @param count the most bytes to send; default: to the end of the file
   * @returns the number of bytes sent
   * @throws {TypeError} for a `file` of another kind, or non-integer
   *   `offset`/`count`
   * @throws {RangeError} for a socket that is not `SOCK_STREAM` or not
   *   blocking/timeout mode, `count <= 0`, or a negative `offset`
   * @throws {TimeoutError} when a wait for the socket exceeds its timeout
   * @example
   * ```ts
   * import { closeSync, openSync, writeFileSync } from "node:fs";
   * import { socketpair } from "@sockets/socket";
   * writeFileSync("/tmp/sendfile-example.txt", "hello, file");
   * const fd = openSync("/tmp/sendfile-example.txt", "r");
   * const [a, b] = socketpair();
   * console.log(a.sendfileSync(fd, 7)); // 4
   * console.log(new TextDecoder().decode(b.recvSync(16))); // "file"
   * closeSync(fd);
   * a.close();
   * b.close();
   * ```
   */
  sendfileSync(file: FileSource, offset = 0, count?: number | null): number {
    return msgs.sendfileSync(this, file, offset, count);
  }

  /**
   * Sends a file over a stream socket without blocking the thread on the
   * socket. See {@link Socket.sendfileSync} for the rules; a non-blocking
   * socket is fine here.
   *
   * @param file a descriptor number, an object with a numeric `fd`, or a
   *   seekable `Deno.FsFile`
   * @param offset where to start reading the file
   * @param count the most bytes to send; default: to the end of the file
   * @param options `{ signal }`; an abort stops between writes (the
   *   rejection's `bytesSent` says how much went out)
   * @returns the number of bytes sent
   * @throws {TypeError|RangeError} for malformed arguments, before any call
   * @throws {TimeoutError} when a wait for the socket exceeds its timeout
   * @example
   * ```ts
   * import { open, writeFile } from "node:fs/promises";
   * import { socketpair } from "@sockets/socket";
   * await writeFile("/tmp/sendfile-example.txt", "hello, file");
   * await using file = await open("/tmp/sendfile-example.txt");
   * const [a, b] = socketpair();
   * console.log(await a.sendfile(file, 0, 5)); // 5
   * a.close();
   * b.close();
   * ```
   */
  sendfile(
    file: FileSource,
    offset = 0,
    count?: number | null,
    options?: AsyncOptions,
  ): Promise<number> {
    return msgs.sendfile(this, file, offset, count, options);
  }

  /**
   * Receives a batch of datagrams in one `recvmmsg(2)` (Linux): waits
   * for the first as the socket's mode says (`MSG_WAITFORONE`), then
   * takes every one already queued, up to `count` (at most 1024). The
   * receive arena is reused between calls.
   *
   * @param count the most datagrams to take
   * @param bufsize the most bytes per datagram (`MSG_TRUNC` in a
   *   datagram's `flags` when it was longer)
   * @param flags `MSG_*` flags
   * @returns the datagrams, each `{ data, address, flags }`
   * @throws {TypeError} for a non-integer argument
   * @throws {RangeError} for `count < 1` or a negative `bufsize`
   * @throws {OSError} `EOPNOTSUPP` where the platform has no `recvmmsg`
   * @throws {TimeoutError} when the socket's timeout expires
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * for (let i = 0; i < 3; i++) s.sendtoSync(new Uint8Array([i]), r.getsockname());
   * const batch = r.recvmmsgSync(8, 1500);
   * console.log(batch.length); // 3
   * ```
   */
  recvmmsgSync(count: number, bufsize: number, flags = 0): Datagram[] {
    return msgs.recvmmsgSync(this, count, bufsize, flags);
  }

  /**
   * Receives a batch of datagrams in one `recvmmsg(2)` (Linux) without
   * blocking the thread: resolves once at least one is queued, with every
   * one queued up to `count`. See {@link Socket.recvmmsgSync}.
   *
   * @param count the most datagrams to take (at most 1024)
   * @param bufsize the most bytes per datagram
   * @param flags `MSG_*` flags
   * @param options `{ signal }`; an abort consumes nothing
   * @returns the datagrams, each `{ data, address, flags }`
   * @throws {TypeError|RangeError} for malformed arguments, before any call
   * @throws {OSError} `EOPNOTSUPP` where the platform has no `recvmmsg`
   * @throws {TimeoutError} when the socket's timeout (if positive) expires
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * const pending = r.recvmmsg(64, 1500);
   * await s.sendto(new Uint8Array([1]), r.getsockname());
   * for (const { data, address } of await pending) console.log(data, address);
   * ```
   */
  recvmmsg(
    count: number,
    bufsize: number,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<Datagram[]> {
    return msgs.recvmmsg(this, count, bufsize, flags, options);
  }

  /**
   * Sends a batch of datagrams in one `sendmmsg(2)` (Linux), blocking as
   * the socket's mode says. Like the system call, it may send fewer than
   * given (and takes at most 1024): send the rest with another call.
   *
   * @param messages `{ data, address?, ancdata? }` each; `data` may be
   *   several buffers gathered into one datagram
   * @param flags `MSG_*` flags
   * @returns how many messages were sent
   * @throws {TypeError|RangeError} for malformed messages, before any call
   * @throws {OSError} `EOPNOTSUPP` where the platform has no `sendmmsg`
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * const to = r.getsockname();
   * console.log(s.sendmmsgSync([
   *   { data: new Uint8Array([1]), address: to },
   *   { data: [new Uint8Array([2]), new Uint8Array([3])], address: to },
   * ])); // 2
   * ```
   */
  sendmmsgSync(messages: Iterable<MmsgMessage>, flags = 0): number {
    return msgs.sendmmsgSync(this, messages, flags);
  }

  /**
   * Sends a batch of datagrams in one `sendmmsg(2)` (Linux) without
   * blocking the thread. See {@link Socket.sendmmsgSync}.
   *
   * @param messages `{ data, address?, ancdata? }` each
   * @param flags `MSG_*` flags
   * @param options `{ signal }`; an abort sends nothing
   * @returns how many messages were sent
   * @throws {TypeError|RangeError} for malformed messages, before any call
   * @throws {OSError} `EOPNOTSUPP` where the platform has no `sendmmsg`
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@sockets/socket";
   * using r = socket(AF_INET, SOCK_DGRAM);
   * r.bind({ host: "127.0.0.1", port: 0 });
   * using s = socket(AF_INET, SOCK_DGRAM);
   * const address = r.getsockname();
   * const sent = await s.sendmmsg([{ data: new Uint8Array([1]), address }]);
   * console.log(sent); // 1
   * ```
   */
  sendmmsg(
    messages: Iterable<MmsgMessage>,
    flags = 0,
    options?: AsyncOptions,
  ): Promise<number> {
    return msgs.sendmmsg(this, messages, flags, options);
  }

  /** Python-style representation. */
  toString(): string {
    const parts = [`fd=${this.#fd}`];
    parts.push(`family=${constName("AF_", this.#family)}`);
    parts.push(`type=${constName("SOCK_", this.#type)}`);
    parts.push(`proto=${this.#proto}`);
    if (this.#fd >= 0) {
      try {
        parts.push(`laddr=${formatAddress(this.getsockname())}`);
      } catch { /* not bound: Python leaves laddr out too */ }
      try {
        parts.push(`raddr=${formatAddress(this.getpeername())}`);
      } catch { /* not connected */ }
    }
    const closed = this.#fd < 0 ? " [closed]" : "";
    return `<Socket${closed} ${parts.join(" ")}>`;
  }

  /** Deno's `console.log` shows {@link Socket.toString}. */
  [inspectDeno](): string {
    return this.toString();
  }

  /** Bun's and Node's `console.log` show {@link Socket.toString}. */
  [inspectNode](): string {
    return this.toString();
  }
}

const STREAM_CHUNK = 64 * 1024;

function intoLength(buf: Uint8Array, nbytes: unknown, what: string): number {
  const n = intArg(nbytes, "nbytes", 53);
  if (n < 0) throw new RangeError(`negative buffersize in ${what}`);
  if (n > buf.byteLength) {
    throw new RangeError("buffer too small for requested bytes");
  }
  return n === 0 ? buf.byteLength : n;
}

/** The first `n` bytes, copied when keeping the rest would waste memory. */
function shrink(buf: Uint8Array, n: number): Uint8Array {
  if (n === buf.byteLength) return buf;
  return n * 2 < buf.byteLength ? buf.slice(0, n) : buf.subarray(0, n);
}

/**
 * Creates a socket: `socket(AF_INET6, SOCK_DGRAM)`. Same as
 * `new Socket(family, type, proto)`.
 *
 * @param family address family, default `AF_INET`
 * @param type socket type, default `SOCK_STREAM`
 * @param proto protocol, default 0
 * @returns the new socket
 * @example
 * ```ts
 * import { AF_UNIX, SOCK_DGRAM, socket } from "@sockets/socket";
 * using s = socket(AF_UNIX!, SOCK_DGRAM);
 * s.bind(""); // Linux autobind: an abstract name
 * console.log(s.getsockname()); // Uint8Array [0, ...5 hex digits]
 * ```
 */
export function socket(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
  proto = 0,
): Socket {
  return new Socket(family, type, proto);
}

/**
 * A pair of connected sockets (`socketpair(2)`), both close-on-exec.
 *
 * @param family default `AF_UNIX`
 * @param type default `SOCK_STREAM`
 * @param proto default 0
 * @returns the two ends
 * @example
 * ```ts
 * import { socketpair } from "@sockets/socket";
 * const [a, b] = socketpair();
 * a.sendAllSync(new Uint8Array([1]));
 * console.log(b.recvSync(1)[0]); // 1
 * a.close();
 * b.close();
 * ```
 */
export function socketpair(
  family: number = AF_UNIX,
  type: number = SOCK_STREAM,
  proto = 0,
): [Socket, Socket] {
  const f = intArg(family, "family");
  const t = intArg(type, "type");
  const p = intArg(proto, "proto");
  const fds = new Int32Array(2);
  check(
    libc.socketpair(f, t | SOCK_CLOEXEC, p, new Uint8Array(fds.buffer)),
    "socketpair",
  );
  return [new Socket(f, t, p, fds[0]), new Socket(f, t, p, fds[1])];
}

/**
 * A socket on a duplicate (close-on-exec) of an open descriptor; the
 * original stays open and yours.
 *
 * @param fd an open socket descriptor
 * @param family its address family
 * @param type its type
 * @param proto its protocol
 * @returns the new socket
 * @example
 * ```ts
 * import { AF_INET, fromfd, SOCK_STREAM, socket } from "@sockets/socket";
 * using s = socket();
 * using t = fromfd(s.fileno(), AF_INET, SOCK_STREAM);
 * ```
 */
export function fromfd(
  fd: number,
  family: number,
  type: number,
  proto = 0,
): Socket {
  const n = intArg(fd, "fd");
  if (n < 0) throw new RangeError(`negative file descriptor ${n}`);
  const nfd = check(libc.fcntl(n, F_DUPFD_CLOEXEC, 0), "dup");
  try {
    return new Socket(family, type, proto, nfd);
  } catch (e) {
    libc.close(nfd);
    throw e;
  }
}

/**
 * Windows only (`WSASocket` from a `share()` blob); elsewhere throws.
 *
 * @param _data the blob from `Socket.share()`
 * @returns never on this platform
 * @throws {OSError} `EOPNOTSUPP`
 * @example
 * ```ts
 * import { fromshare } from "@sockets/socket";
 * try { fromshare(new Uint8Array(0)); } catch (e) { console.log((e as Error).message); }
 * ```
 */
export function fromshare(_data: Uint8Array): Socket {
  throw new OSError(
    errnoCodes.EOPNOTSUPP,
    "fromshare() is only available on Windows",
    "fromshare",
  );
}
