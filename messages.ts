/**
 * Messages: `sendmsg`/`recvmsg`/`recvmsgInto` with scatter/gather and
 * ancillary data, descriptor passing ({@link sendFds}/{@link recvFds}),
 * `sendfile`, and Linux's batched `recvmmsg`/`sendmmsg`. The Socket class
 * delegates its methods here; this module reaches a socket only through
 * its core seam (`sock[core]`).
 *
 * Memory: every pointer written into a `msghdr`, `iovec` or `mmsghdr`
 * is the address of a live buffer taken in the same synchronous attempt
 * that makes the system call, and every struct is sized from the platform
 * layout. Kernel-returned lengths (`msg_namelen`, `msg_controllen`,
 * `cmsg_len`, `msg_len`) are clamped to their buffers before anything is
 * read.
 *
 * @module
 */
import { readdirSync } from "node:fs";
import { C, errnoCodes, layout, need } from "./constants/mod.ts";
import { errnoError, OSError } from "./errors.ts";
import type { Address } from "./families/types.ts";
import { addressOf, errno, libc, size } from "./ffi/sys.ts";
import { MAX_IO } from "./ffi/libc.ts";
import { copyAddress } from "./families/mod.ts";
import { bytesArg, intArg, typeName } from "./_args.ts";
import { type AsyncOptions, core, FAILED, type SocketCore } from "./_core.ts";
import type { Socket } from "./socket.ts";
import {
  type AncData,
  ancdataArg,
  cmsg,
  CMSG_LEN,
  decodeControl,
  encodeControl,
  rightsIn,
} from "./cmsg.ts";

export type { AncData } from "./cmsg.ts";

/** What `recvmsg` returns (Python's `(data, ancdata, msg_flags, address)`). */
export interface RecvMsg {
  /** The bytes received (at most `bufsize`). */
  data: Uint8Array;
  /** The control messages received. */
  ancdata: AncData[];
  /** `msg_flags`: `MSG_TRUNC`, `MSG_CTRUNC`, `MSG_EOR`, ... */
  flags: number;
  /** The sender, or `null` when the system gives none. */
  address: Address | null;
}

/** What `recvmsgInto` returns (Python's `(nbytes, ancdata, msg_flags, address)`). */
export interface RecvMsgInto {
  /**
   * The number of bytes received into the buffers (with `MSG_TRUNC` in
   * the flags argument, the datagram's real length, which may be more).
   */
  nbytes: number;
  /** The control messages received. */
  ancdata: AncData[];
  /** `msg_flags`: `MSG_TRUNC`, `MSG_CTRUNC`, `MSG_EOR`, ... */
  flags: number;
  /** The sender, or `null` when the system gives none. */
  address: Address | null;
}

/** What `recvFds` returns (Python's `(msg, fds, flags, address)`). */
export interface RecvFdsResult {
  /** The bytes received. */
  data: Uint8Array;
  /** The descriptors received (close-on-exec), yours to close. */
  fds: number[];
  /** `msg_flags`; `MSG_CTRUNC` means descriptors were lost (see `recvFds`). */
  flags: number;
  /** The sender, or `null` when the system gives none. */
  address: Address | null;
}

/** One datagram for `sendmmsg`. */
export interface MmsgMessage {
  /** The bytes, or several buffers gathered into one datagram. */
  data: Uint8Array | readonly Uint8Array[];
  /** The destination (unconnected sockets). */
  address?: Address | null;
  /** Control messages to send with it. */
  ancdata?: readonly AncData[];
}

/** One datagram `recvmmsg` received. */
export interface Datagram {
  /**
   * The bytes (at most `bufsize`; `MSG_TRUNC` in `flags` when cut): a
   * view of one buffer the whole batch shares, sized to what arrived.
   */
  data: Uint8Array;
  /** The sender, or `null` when the system gives none. */
  address: Address | null;
  /** `msg_flags` of this datagram. */
  flags: number;
}

/**
 * An open file whose position can be set (`Deno.FsFile`): `sendfile`
 * finds its descriptor.
 */
export interface SeekableFile {
  /**
   * Moves the file position.
   *
   * @param offset the new position (relative to `whence`)
   * @param whence 0 = start, 1 = current, 2 = end
   * @returns the new position
   */
  seekSync(offset: number | bigint, whence: number): number;
}

/**
 * What `sendfile` reads from: a descriptor number, an object with a
 * numeric `fd` (a `node:fs` `FileHandle`, in Deno and Bun), or an open
 * seekable file such as `Deno.FsFile`.
 */
export type FileSource = number | { readonly fd: number } | SeekableFile;

// ---- platform data ------------------------------------------------------

const LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const M = layout.msghdr;
const IOV = layout.iovec;
const MM = layout.mmsghdr;
const PTR = layout.sizes.pointer;
const STORAGE = layout.sockaddr_storage.size;
/** Widths of the `size_t`-like fields (`int` + padding on musl). */
const IOVLEN_W = Math.min(M.msg_control - M.msg_iovlen, 8);
const CTLLEN_W = Math.min(M.msg_flags - M.msg_controllen, 8);
const IOV_LEN_W = Math.min(IOV.size - IOV.iov_len, 8);

const SOL_SOCKET = need("SOL_SOCKET");
const SCM_RIGHTS = need("SCM_RIGHTS");
const SOCK_STREAM = need("SOCK_STREAM");
const MSG_CTRUNC = need("MSG_CTRUNC");
const MSG_NOSIGNAL = C.MSG_NOSIGNAL ?? 0;
const MSG_DONTWAIT = C.MSG_DONTWAIT ?? 0;
const MSG_CMSG_CLOEXEC = C.MSG_CMSG_CLOEXEC ?? 0;
const MSG_WAITFORONE = C.MSG_WAITFORONE ?? 0;
// lseek(2) whence values; POSIX fixes them.
const SEEK_SET = 0;
const SEEK_CUR = 1;

const EINTR = errnoCodes.EINTR;
const EAGAIN = errnoCodes.EAGAIN;
const EWOULDBLOCK = errnoCodes.EWOULDBLOCK ?? EAGAIN;
const ESPIPE = errnoCodes.ESPIPE;
const EOPNOTSUPP = errnoCodes.EOPNOTSUPP ?? errnoCodes.ENOTSUP;

/** The kernel's `UIO_MAXIOV`: the most messages one batched call takes. */
const MAX_BATCH = 1024;
/** Scratch larger than this is allocated per call, not kept. */
const KEEP_LIMIT = 1 << 20;

// ---- argument checks (before any system call) ---------------------------

function sizeArg(x: unknown, what: string, fn: string): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(x)}`);
  }
  if (x < 0) throw new RangeError(`negative ${what} in ${fn}()`);
  if (x > 0x7fff_ffff) throw new RangeError(`${what} is too large (${x})`);
  return x + 0;
}

function buffersArg(x: unknown, fn: string): Uint8Array[] {
  if (
    x === null || x === undefined || typeof x === "string" ||
    x instanceof Uint8Array ||
    typeof (x as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `${fn}() argument 1 must be an iterable of buffers, not ${
        x instanceof Uint8Array ? "a single Uint8Array" : typeName(x)
      }`,
    );
  }
  const out: Uint8Array[] = [];
  for (const b of x as Iterable<unknown>) {
    out.push(bytesArg(b, `${fn}() buffers`));
  }
  return out;
}

function coreOf(sock: unknown): SocketCore {
  const c = typeof sock === "object" && sock !== null
    ? (sock as { [core]?: SocketCore })[core]
    : undefined;
  if (c === undefined) {
    throw new TypeError(`expected a Socket, not ${typeName(sock)}`);
  }
  return c;
}

function isOptions(x: unknown): x is AsyncOptions {
  return typeof x === "object" && x !== null && !ArrayBuffer.isView(x) &&
    "signal" in x && Object.keys(x).length === 1;
}

// ---- struct writing -----------------------------------------------------

function offHeap(n: number): Uint8Array {
  // An ArrayBuffer's store lives outside the moving JavaScript heap.
  return new Uint8Array(new ArrayBuffer(n));
}

function putPtr(v: DataView, at: number, a: bigint): void {
  if (PTR === 8) v.setBigUint64(at, a, LE);
  else v.setUint32(at, Number(a), LE);
}

function putWord(v: DataView, at: number, n: number, width: number): void {
  if (width === 8) {
    v.setUint32(at + (LE ? 0 : 4), n >>> 0, LE);
    v.setUint32(at + (LE ? 4 : 0), Math.floor(n / 0x1_0000_0000), LE);
  } else {
    v.setUint32(at, n, LE);
  }
}

function getWord(v: DataView, at: number, width: number): number {
  if (width === 8) {
    const lo = v.getUint32(at + (LE ? 0 : 4), LE);
    const hi = v.getUint32(at + (LE ? 4 : 0), LE);
    return hi * 0x1_0000_0000 + lo;
  }
  return v.getUint32(at, LE);
}

function putHeader(
  v: DataView,
  at: number,
  name: bigint,
  namelen: number,
  iov: bigint,
  iovlen: number,
  control: bigint,
  controllen: number,
): void {
  putPtr(v, at + M.msg_name, name);
  v.setUint32(at + M.msg_namelen, namelen, LE);
  putPtr(v, at + M.msg_iov, iov);
  putWord(v, at + M.msg_iovlen, iovlen, IOVLEN_W);
  putPtr(v, at + M.msg_control, control);
  putWord(v, at + M.msg_controllen, controllen, CTLLEN_W);
  v.setInt32(at + M.msg_flags, 0, LE);
}

/**
 * Writes one iovec per buffer, taking each address now. Lengths are
 * capped so the total stays within `MAX_IO` and the `i32`-bound result
 * cannot overflow.
 */
function putIovecs(v: DataView, at: number, bufs: readonly Uint8Array[]): void {
  let left = MAX_IO;
  for (let i = 0; i < bufs.length; i++) {
    const b = bufs[i];
    const len = b.byteLength < left ? b.byteLength : left;
    left -= len;
    const p = at + i * IOV.size;
    putPtr(v, p + IOV.iov_base, len === 0 ? 0n : addressOf(b));
    putWord(v, p + IOV.iov_len, len, IOV_LEN_W);
  }
}

/** A growable off-heap scratch buffer with its (stable) address. */
class Scratch {
  buf: Uint8Array;
  view: DataView;
  addr: bigint;

  constructor(n: number) {
    this.buf = offHeap(n);
    this.view = new DataView(this.buf.buffer);
    this.addr = addressOf(this.buf);
  }

  /**
   * A scratch of at least `n` bytes: this one (grown) when `n` is small
   * enough to keep, else a fresh one for this call only.
   */
  fit(n: number): Scratch {
    if (n <= this.buf.byteLength) return this;
    if (n > KEEP_LIMIT) return new Scratch(n);
    const next = offHeap(Math.max(n, this.buf.byteLength * 2));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.addr = addressOf(next);
    return this;
  }
}

// One system call at a time uses these: each attempt fills them, calls,
// and copies out what it needs before returning, and JavaScript runs one
// attempt at a time.
const hdr = new Scratch(M.size);
const name = new Scratch(STORAGE);
const iovs = new Scratch(IOV.size * 8);
const control = new Scratch(256);

// ---- recvmsg / recvmsgInto ----------------------------------------------

interface Received {
  n: number;
  ancdata: AncData[];
  flags: number;
  address: Address | null;
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) libc.close(fd);
}

/**
 * Reads the results the kernel wrote into a `msghdr` at `at`, clamping
 * every length. On any failure after the call, descriptors that arrived
 * are closed (as CPython does), so none leaks.
 */
function collect(
  c: SocketCore,
  n: number,
  v: DataView,
  at: number,
  names: Uint8Array,
  nameAt: number,
  ctl: Uint8Array | null,
  ctlCap: number,
  hide: number,
): Received {
  const clen = ctl === null
    ? 0
    : Math.min(getWord(v, at + M.msg_controllen, CTLLEN_W), ctlCap);
  const raw = clen > 0 && ctl !== null ? ctl.subarray(0, clen) : null;
  try {
    const nlen = Math.min(v.getUint32(at + M.msg_namelen, LE), STORAGE);
    return {
      n,
      ancdata: raw === null ? [] : decodeControl(raw),
      flags: v.getInt32(at + M.msg_flags, LE) & ~hide,
      address: nlen === 0
        ? null
        : c.decode(names.subarray(nameAt, nameAt + nlen)),
    };
  } catch (e) {
    if (raw !== null) closeAll(rightsIn(raw));
    throw e;
  }
}

interface RecvPlan {
  c: SocketCore;
  bufs: Uint8Array[];
  anc: number;
  flags: number;
  hide: number;
}

function recvPlan(
  sock: Socket,
  bufs: Uint8Array[],
  ancbufsize: unknown,
  flags: unknown,
  fn: string,
  extra: number,
): RecvPlan {
  const c = coreOf(sock);
  const anc = sizeArg(ancbufsize, "ancillary buffer size", fn);
  const f = intArg(flags, "flags");
  // Received descriptors are close-on-exec, as every descriptor this
  // library makes; the flag is hidden from msg_flags unless asked for.
  const hide = MSG_CMSG_CLOEXEC & ~f;
  return { c, bufs, anc, flags: f | MSG_CMSG_CLOEXEC | extra, hide };
}

function recvAttempt(p: RecvPlan): () => Received | typeof FAILED {
  return () => {
    const fd = p.c.fd("recvmsg");
    const io = iovs.fit(p.bufs.length * IOV.size);
    putIovecs(io.view, 0, p.bufs);
    const ctl = p.anc > 0 ? control.fit(p.anc) : null;
    if (ctl !== null) ctl.buf.fill(0, 0, p.anc);
    // As CPython: no stale address can pass for one the kernel wrote.
    name.buf.fill(0, 0, STORAGE);
    putHeader(
      hdr.view,
      0,
      name.addr,
      STORAGE,
      io.addr,
      p.bufs.length,
      ctl === null ? 0n : ctl.addr,
      p.anc,
    );
    const n = libc.recvmsg(fd, hdr.buf, p.flags);
    if (n < 0) return FAILED;
    return collect(
      p.c,
      n,
      hdr.view,
      0,
      name.buf,
      0,
      ctl === null ? null : ctl.buf,
      p.anc,
      p.hide,
    );
  };
}

function asRecvMsg(buf: Uint8Array, r: Received): RecvMsg {
  const n = Math.min(r.n, buf.byteLength);
  const data = n === buf.byteLength
    ? buf
    : n * 2 < buf.byteLength
    ? buf.slice(0, n)
    : buf.subarray(0, n);
  return { data, ancdata: r.ancdata, flags: r.flags, address: r.address };
}

function asRecvMsgInto(r: Received): RecvMsgInto {
  return {
    nbytes: r.n,
    ancdata: r.ancdata,
    flags: r.flags,
    address: r.address,
  };
}

/**
 * `recvmsg(2)` into one new buffer of `bufsize` bytes, blocking as the
 * socket's mode says. See `Socket.recvmsgSync`.
 *
 * @internal
 */
export function recvmsgSync(
  sock: Socket,
  bufsize: number,
  ancbufsize: number,
  flags: number,
): RecvMsg {
  const buf = new Uint8Array(sizeArg(bufsize, "buffer size", "recvmsg"));
  const p = recvPlan(sock, [buf], ancbufsize, flags, "recvmsg", 0);
  return asRecvMsg(buf, p.c.sync("read", "recvmsg", recvAttempt(p)));
}

/**
 * `recvmsg(2)` without blocking the thread. See `Socket.recvmsg`.
 *
 * @internal
 */
export async function recvmsg(
  sock: Socket,
  bufsize: number,
  ancbufsize: number,
  flags: number,
  options: AsyncOptions | undefined,
): Promise<RecvMsg> {
  const buf = new Uint8Array(sizeArg(bufsize, "buffer size", "recvmsg"));
  const p = recvPlan(sock, [buf], ancbufsize, flags, "recvmsg", MSG_DONTWAIT);
  const r = await p.c.async("read", "recvmsg", options, recvAttempt(p));
  return asRecvMsg(buf, r);
}

/**
 * `recvmsg(2)` scattering into `buffers`. See `Socket.recvmsgIntoSync`.
 *
 * @internal
 */
export function recvmsgIntoSync(
  sock: Socket,
  buffers: Iterable<Uint8Array>,
  ancbufsize: number,
  flags: number,
): RecvMsgInto {
  const bufs = buffersArg(buffers, "recvmsg_into");
  const p = recvPlan(sock, bufs, ancbufsize, flags, "recvmsg_into", 0);
  return asRecvMsgInto(p.c.sync("read", "recvmsg", recvAttempt(p)));
}

/**
 * `recvmsg(2)` scattering into `buffers` without blocking the thread.
 * See `Socket.recvmsgInto`.
 *
 * @internal
 */
export async function recvmsgInto(
  sock: Socket,
  buffers: Iterable<Uint8Array>,
  ancbufsize: number,
  flags: number,
  options: AsyncOptions | undefined,
): Promise<RecvMsgInto> {
  const bufs = buffersArg(buffers, "recvmsg_into");
  const p = recvPlan(
    sock,
    bufs,
    ancbufsize,
    flags,
    "recvmsg_into",
    MSG_DONTWAIT,
  );
  const r = await p.c.async("read", "recvmsg", options, recvAttempt(p));
  return asRecvMsgInto(r);
}

// ---- sendmsg -----------------------------------------------------------

interface SendPlan {
  c: SocketCore;
  bufs: Uint8Array[];
  control: Uint8Array | null;
  sa: Uint8Array | null;
  flags: number;
}

function sendPlan(
  sock: Socket,
  buffers: unknown,
  ancdata: unknown,
  flags: unknown,
  address: unknown,
  extra: number,
): SendPlan {
  const c = coreOf(sock);
  const bufs = buffersArg(buffers, "sendmsg");
  const items = ancdata === undefined ? [] : ancdataArg(ancdata, "ancdata");
  const f = intArg(flags, "flags");
  const sa = address === undefined || address === null
    ? null
    : c.encode(address);
  const ctl = encodeControl(items);
  return { c, bufs, control: ctl, sa, flags: f | MSG_NOSIGNAL | extra };
}

function sendAttempt(p: SendPlan): () => number | typeof FAILED {
  return () => {
    const fd = p.c.fd("sendmsg");
    const io = iovs.fit(p.bufs.length * IOV.size);
    putIovecs(io.view, 0, p.bufs);
    let sa = 0n;
    let salen = 0;
    if (p.sa !== null) {
      const into = name.fit(p.sa.byteLength);
      into.buf.set(p.sa);
      sa = into.addr;
      salen = p.sa.byteLength;
    }
    putHeader(
      hdr.view,
      0,
      sa,
      salen,
      io.addr,
      p.bufs.length,
      p.control === null ? 0n : addressOf(p.control),
      p.control === null ? 0 : p.control.byteLength,
    );
    const n = libc.sendmsg(fd, hdr.buf, p.flags);
    return n < 0 ? FAILED : n;
  };
}

/**
 * `sendmsg(2)`, blocking as the socket's mode says. See
 * `Socket.sendmsgSync`.
 *
 * @internal
 */
export function sendmsgSync(
  sock: Socket,
  buffers: Iterable<Uint8Array>,
  ancdata: Iterable<AncData> | undefined,
  flags: number,
  address: Address | null | undefined,
): number {
  const p = sendPlan(sock, buffers, ancdata, flags, address, 0);
  return p.c.sync("write", "sendmsg", sendAttempt(p));
}

/**
 * `sendmsg(2)` without blocking the thread. See `Socket.sendmsg`.
 *
 * @internal
 */
export async function sendmsg(
  sock: Socket,
  buffers: Iterable<Uint8Array>,
  ancdata: Iterable<AncData> | undefined,
  flags: number,
  address: Address | null | AsyncOptions | undefined,
  options: AsyncOptions | undefined,
): Promise<number> {
  if (options === undefined && isOptions(address)) {
    options = address;
    address = undefined;
  }
  const p = sendPlan(sock, buffers, ancdata, flags, address, MSG_DONTWAIT);
  return await p.c.async("write", "sendmsg", options, sendAttempt(p));
}

// ---- descriptor passing ---------------------------------------------------

function maxfdsArg(maxfds: unknown): number {
  const n = intArg(maxfds, "maxfds");
  if (n < 0) throw new RangeError(`maxfds must not be negative (${n})`);
  return CMSG_LEN(n * 4);
}

function takeFds(r: RecvMsg, maxfds: number): RecvFdsResult {
  const fds: number[] = [];
  for (const item of r.ancdata) {
    if (item.level === SOL_SOCKET && item.type === SCM_RIGHTS) {
      fds.push(...cmsg.decodeRights(item));
    }
  }
  if ((r.flags & MSG_CTRUNC) !== 0) {
    // Some descriptors were dropped: hand back none rather than a list
    // the sender did not send.
    closeAll(fds);
    fds.length = 0;
  } else if (fds.length > maxfds) {
    closeAll(fds.splice(maxfds));
  }
  return { data: r.data, fds, flags: r.flags, address: r.address };
}

/**
 * Sends `buffers` and the descriptors `fds` (`SCM_RIGHTS`) over a unix
 * socket in one `sendmsg(2)`, blocking as the socket's mode says. The
 * descriptors stay open here; the receiver gets duplicates.
 *
 * @param sock an `AF_UNIX` socket
 * @param buffers the bytes to send with them (at least one byte, for
 *   stream sockets)
 * @param fds the descriptors
 * @param flags `MSG_*` flags
 * @param address the destination, for unconnected datagram sockets
 * @returns the number of bytes sent
 * @throws {TypeError|RangeError} for malformed arguments, before any call
 * @throws {OSError} e.g. `EBADF` for a closed descriptor in `fds`
 * @example
 * ```ts
 * import { recvFdsSync, sendFdsSync, Socket, socketpair } from "@sockets/socket";
 * const [a, b] = socketpair();
 * sendFdsSync(a, [new Uint8Array([1])], [a.fileno()]);
 * const { fds } = recvFdsSync(b, 1, 1);
 * console.log(fds.length); // 1: a new descriptor for a's socket, yours to close
 * new Socket(undefined, undefined, undefined, fds[0]).close();
 * a.close();
 * b.close();
 * ```
 */
export function sendFdsSync(
  sock: Socket,
  buffers: Iterable<Uint8Array>,
  fds: Iterable<number>,
  flags = 0,
  address?: Address | null,
): number {
  return sendmsgSync(sock, buffers, [cmsg.rights(fds)], flags, address);
}

/**
 * Sends `buffers` and the descriptors `fds` (`SCM_RIGHTS`) without
 * blocking the thread. See {@link sendFdsSync}.
 *
 * @param sock an `AF_UNIX` socket
 * @param buffers the bytes to send with them
 * @param fds the descriptors
 * @param flags `MSG_*` flags
 * @param address the destination, for unconnected datagram sockets
 * @param options `{ signal }`; an abort sends nothing
 * @returns the number of bytes sent
 * @throws {TypeError|RangeError} for malformed arguments, before any call
 * @throws {OSError} e.g. `EBADF` for a closed descriptor in `fds`
 * @example
 * ```ts
 * import { recvFds, sendFds, Socket, socketpair } from "@sockets/socket";
 * const [a, b] = socketpair();
 * await sendFds(a, [new Uint8Array([1])], [a.fileno()]);
 * const { data, fds } = await recvFds(b, 16, 4);
 * for (const fd of fds) new Socket(undefined, undefined, undefined, fd).close();
 * a.close();
 * b.close();
 * ```
 */
export async function sendFds(
  sock: Socket,
  buffers: Iterable<Uint8Array>,
  fds: Iterable<number>,
  flags = 0,
  address?: Address | null | AsyncOptions,
  options?: AsyncOptions,
): Promise<number> {
  if (options === undefined && isOptions(address)) {
    options = address;
    address = undefined;
  }
  const anc = cmsg.rights(fds);
  return await sendmsg(sock, buffers, [anc], flags, address, options);
}

/**
 * Receives up to `bufsize` bytes and up to `maxfds` descriptors
 * (`SCM_RIGHTS`), blocking as the socket's mode says. The descriptors are
 * close-on-exec (`MSG_CMSG_CLOEXEC`) and yours to close.
 *
 * Unlike Python's `recv_fds`, when the kernel had to drop descriptors
 * (`MSG_CTRUNC` in `flags`: more were sent than fit) the ones that did
 * arrive are closed and `fds` is empty, so a partial set can never be
 * mistaken for the whole; descriptors beyond `maxfds` are closed too.
 *
 * @param sock an `AF_UNIX` socket
 * @param bufsize the most bytes to take
 * @param maxfds the most descriptors to take
 * @param flags `MSG_*` flags
 * @returns the bytes, the descriptors, `msg_flags` and the sender
 * @throws {TypeError|RangeError} for malformed arguments, before any call
 * @throws {TimeoutError} when the socket's timeout expires
 * @example
 * ```ts
 * import { recvFdsSync, sendFdsSync, Socket, socketpair } from "@sockets/socket";
 * const [a, b] = socketpair();
 * const [x, y] = socketpair();
 * sendFdsSync(a, [new TextEncoder().encode("take this")], [x.fileno()]);
 * const { data, fds } = recvFdsSync(b, 64, 1);
 * using passed = new Socket(undefined, undefined, undefined, fds[0]);
 * passed.sendSync(new Uint8Array([42]));
 * console.log(y.recvSync(1)[0]); // 42
 * for (const s of [a, b, x, y]) s.close();
 * ```
 */
export function recvFdsSync(
  sock: Socket,
  bufsize: number,
  maxfds: number,
  flags = 0,
): RecvFdsResult {
  const anc = maxfdsArg(maxfds);
  return takeFds(recvmsgSync(sock, bufsize, anc, flags), maxfds);
}

/**
 * Receives up to `bufsize` bytes and up to `maxfds` descriptors without
 * blocking the thread. See {@link recvFdsSync} for the rules.
 *
 * @param sock an `AF_UNIX` socket
 * @param bufsize the most bytes to take
 * @param maxfds the most descriptors to take
 * @param flags `MSG_*` flags
 * @param options `{ signal }`; an abort consumes nothing
 * @returns the bytes, the descriptors, `msg_flags` and the sender
 * @throws {TypeError|RangeError} for malformed arguments, before any call
 * @throws {TimeoutError} when the socket's timeout expires
 * @example
 * ```ts
 * import { recvFds, sendFds, Socket, socketpair } from "@sockets/socket";
 * const [a, b] = socketpair();
 * const pending = recvFds(b, 16, 1);
 * await sendFds(a, [new Uint8Array([7])], [a.fileno()]);
 * const { fds } = await pending;
 * using passed = new Socket(undefined, undefined, undefined, fds[0]);
 * a.close();
 * b.close();
 * ```
 */
export async function recvFds(
  sock: Socket,
  bufsize: number,
  maxfds: number,
  flags = 0,
  options?: AsyncOptions,
): Promise<RecvFdsResult> {
  const anc = maxfdsArg(maxfds);
  const r = await recvmsg(sock, bufsize, anc, flags, options);
  return takeFds(r, maxfds);
}

// ---- sendfile --------------------------------------------------------------

/** Bytes one sendfile(2) call is asked for (CPython's block size). */
const SENDFILE_CHUNK = 1 << 30;
/** The copy loop's buffer. */
const COPY_CHUNK = 1 << 16;

function openDescriptors(): number[] {
  try {
    return readdirSync("/proc/self/fd").map(Number).filter(Number.isInteger);
  } catch {
    return Array.from({ length: 4096 }, (_, i) => i);
  }
}

function position(fd: number): number {
  return Number(libc.lseek(fd, 0, SEEK_CUR));
}

/**
 * The descriptor behind a seekable file object that does not reveal it
 * (Deno 2's `FsFile`): moves the file to a position nothing else uses,
 * finds the descriptor whose position matches (a descriptor sharing the
 * open file, which reads the same), and puts the position back.
 */
function descriptorBySeek(file: SeekableFile): number {
  let here: number;
  try {
    here = Number(file.seekSync(0, SEEK_CUR));
  } catch (e) {
    throw new TypeError(
      "sendfile() cannot find the descriptor of a file that is not seekable; pass its descriptor number",
      { cause: e },
    );
  }
  const mark = 2 ** 39 + Math.floor(Math.random() * 2 ** 30) * 16 + 7;
  try {
    if (Number(file.seekSync(mark, SEEK_SET)) === mark) {
      for (const fd of openDescriptors()) {
        if (position(fd) === mark) return fd;
      }
    }
  } finally {
    file.seekSync(here, SEEK_SET);
  }
  throw new TypeError(
    "sendfile() cannot find the descriptor of this file; pass its descriptor number",
  );
}

function fileArg(file: unknown): () => number {
  if (typeof file === "number") {
    const fd = intArg(file, "file descriptor");
    if (fd < 0) throw new RangeError(`negative file descriptor ${fd}`);
    return () => fd;
  }
  if (typeof file === "object" && file !== null) {
    const fd = (file as { fd?: unknown }).fd;
    if (typeof fd === "number") {
      const n = intArg(fd, "file.fd");
      if (n < 0) throw new RangeError(`negative file descriptor ${n}`);
      return () => n;
    }
    if (typeof (file as SeekableFile).seekSync === "function") {
      return () => descriptorBySeek(file as SeekableFile);
    }
  }
  throw new TypeError(
    `sendfile() needs a descriptor number, an object with a numeric fd, or a seekable file (Deno.FsFile), not ${
      typeName(file)
    }`,
  );
}

const hasSendfile = (libc as { sendfile?: unknown }).sendfile !== undefined;

/** One sendfile() call's progress, advanced in rounds by a driver. */
class FileSender {
  total = 0;
  #copy = !hasSendfile;
  #off = offHeap(8);
  #offView = new DataView(this.#off.buffer);
  #buf: Uint8Array | null = null;
  #start = 0;
  #end = 0;
  #readAt: number;
  #positional = true;

  constructor(
    readonly file: number,
    readonly offset: number,
    readonly count: number | undefined,
    readonly sendFlags: number,
  ) {
    this.#readAt = offset;
  }

  /**
   * Sends until done (true) or the socket would block after progress
   * (false: call again); FAILED with errno set when nothing moved.
   */
  round(fd: number): boolean | typeof FAILED {
    let moved = false;
    for (;;) {
      const left = this.count === undefined
        ? Infinity
        : this.count - this.total;
      if (left <= 0) return true;
      let n: number;
      if (!this.#copy) {
        this.#offView.setBigInt64(0, BigInt(this.offset + this.total), LE);
        const want = left < SENDFILE_CHUNK ? left : SENDFILE_CHUNK;
        n = libc.sendfile(fd, this.file, this.#off, size(want));
        if (n === 0) return true;
        if (n < 0) {
          const e = errno();
          const again = e === EAGAIN || e === EWOULDBLOCK || e === EINTR;
          if (!again && this.total === 0) {
            // As CPython: a file sendfile(2) cannot take (a pipe, a
            // special file, ...) is copied through send() instead.
            this.#copy = true;
            this.#readAt = this.offset;
            continue;
          }
        }
      } else {
        if (this.#start === this.#end) {
          const got = this.#read(left < COPY_CHUNK ? left : COPY_CHUNK);
          if (got === 0) return true;
          this.#start = 0;
          this.#end = got;
        }
        const buf = this.#buf!;
        n = libc.send(
          fd,
          this.#start === 0 ? buf : buf.subarray(this.#start),
          size(this.#end - this.#start),
          this.sendFlags,
        );
        if (n > 0) this.#start += n;
      }
      if (n < 0) {
        const e = errno();
        return moved && (e === EAGAIN || e === EWOULDBLOCK) ? false : FAILED;
      }
      this.total += n;
      moved = true;
    }
  }

  #read(want: number): number {
    this.#buf ??= offHeap(COPY_CHUNK);
    for (;;) {
      const r = this.#positional
        ? libc.pread(this.file, this.#buf, size(want), this.#readAt)
        : libc.read(this.file, this.#buf, size(want));
      if (r >= 0) {
        this.#readAt += r;
        return r;
      }
      const e = errno();
      if (e === EINTR) continue;
      if (e === ESPIPE && this.#positional && this.offset === 0) {
        // A pipe or socket: read it from where it is.
        this.#positional = false;
        continue;
      }
      throw errnoError(e, this.#positional ? "pread" : "read");
    }
  }

  /** As CPython: the file ends up positioned after the last byte sent. */
  finish(): void {
    if (this.total > 0 && this.#positional) {
      libc.lseek(this.file, this.offset + this.total, SEEK_SET);
    }
  }
}

function filePlan(
  sock: Socket,
  file: unknown,
  offset: unknown,
  count: unknown,
  sync: boolean,
  extra: number,
): [SocketCore, FileSender] {
  const c = coreOf(sock);
  const fd = fileArg(file);
  if ((sock.type & SOCK_STREAM) === 0) {
    throw new RangeError("only SOCK_STREAM type sockets are supported");
  }
  let n: number | undefined;
  if (count !== undefined && count !== null) {
    if (typeof count !== "number" || !Number.isInteger(count)) {
      throw new TypeError(
        `count must be a positive integer (got ${typeName(count)})`,
      );
    }
    if (count <= 0) {
      throw new RangeError(`count must be a positive integer (got ${count})`);
    }
    n = count;
  }
  if (typeof offset !== "number" || !Number.isSafeInteger(offset)) {
    throw new TypeError(`offset must be an integer, not ${typeName(offset)}`);
  }
  if (offset < 0) throw new RangeError(`negative offset ${offset}`);
  if (sync && sock.getTimeout() === 0) {
    throw new RangeError("non-blocking sockets are not supported");
  }
  c.fd("sendfile");
  const sender = new FileSender(fd(), offset, n, MSG_NOSIGNAL | extra);
  return [c, sender];
}

function withBytesSent(err: unknown, sent: number): unknown {
  if (typeof err === "object" && err !== null && Object.isExtensible(err)) {
    (err as { bytesSent?: number }).bytesSent = sent;
  }
  return err;
}

/**
 * Sends a file (`sendfile(2)` on Linux, a `pread` + `send` loop where
 * sendfile cannot serve), blocking as the socket's mode says. See
 * `Socket.sendfileSync`.
 *
 * @internal
 */
export function sendfileSync(
  sock: Socket,
  file: FileSource,
  offset: number,
  count: number | null | undefined,
): number {
  const [c, s] = filePlan(sock, file, offset, count, true, 0);
  try {
    while (!c.sync("write", "sendfile", () => s.round(c.fd("sendfile")))) {
      // Progress, then the socket filled: the next round waits for it
      // with a fresh timeout, as CPython waits per block.
    }
    return s.total;
  } catch (e) {
    throw withBytesSent(e, s.total);
  } finally {
    s.finish();
  }
}

/**
 * Sends a file without blocking the thread. See `Socket.sendfile`.
 *
 * @internal
 */
export async function sendfile(
  sock: Socket,
  file: FileSource,
  offset: number,
  count: number | null | undefined,
  options: AsyncOptions | undefined,
): Promise<number> {
  const [c, s] = filePlan(sock, file, offset, count, false, MSG_DONTWAIT);
  try {
    for (;;) {
      const done = await c.async(
        "write",
        "sendfile",
        options,
        () => s.round(c.fd("sendfile")),
      );
      if (done) return s.total;
    }
  } catch (e) {
    throw withBytesSent(e, s.total);
  } finally {
    s.finish();
  }
}

// ---- recvmmsg / sendmmsg ----------------------------------------------------

function batchSymbol(name: "recvmmsg" | "sendmmsg"): void {
  if ((libc as Record<string, unknown>)[name] === undefined) {
    throw new OSError(
      EOPNOTSUPP,
      `${name}() is not available on this platform`,
      name,
    );
  }
}

/**
 * The receive arena: `count` slots of `size` bytes, each with its
 * `mmsghdr`, `iovec` and `sockaddr_storage`, pointers written once.
 * Kept between calls of the same shape (and below `KEEP_LIMIT`).
 */
class RecvBatch {
  readonly arena: Uint8Array;
  readonly vec: Uint8Array;
  readonly vecView: DataView;
  readonly names: Uint8Array;
  readonly #iov: Uint8Array;

  constructor(readonly count: number, readonly size: number) {
    this.arena = offHeap(count * size);
    this.vec = offHeap(count * MM.size);
    this.vecView = new DataView(this.vec.buffer);
    this.names = offHeap(count * STORAGE);
    this.#iov = offHeap(count * IOV.size);
    const iv = new DataView(this.#iov.buffer);
    const arena = addressOf(this.arena);
    const iov = addressOf(this.#iov);
    const names = addressOf(this.names);
    for (let i = 0; i < count; i++) {
      const at = i * IOV.size;
      putPtr(iv, at + IOV.iov_base, size === 0 ? 0n : arena + BigInt(i * size));
      putWord(iv, at + IOV.iov_len, size, IOV_LEN_W);
      putHeader(
        this.vecView,
        i * MM.size + MM.msg_hdr,
        names + BigInt(i * STORAGE),
        STORAGE,
        iov + BigInt(at),
        1,
        0n,
        0,
      );
    }
  }

  get bytes(): number {
    return this.arena.byteLength + this.vec.byteLength +
      this.names.byteLength + this.#iov.byteLength;
  }

  /** Re-arms what the kernel overwrote: each `msg_namelen`. */
  reset(n: number): void {
    const v = this.vecView;
    for (let i = 0; i < n; i++) {
      v.setUint32(i * MM.size + MM.msg_hdr + M.msg_namelen, STORAGE, LE);
    }
  }
}

let recvBatch: RecvBatch | undefined;

function batchFor(count: number, bufsize: number): RecvBatch {
  const b = recvBatch;
  if (b !== undefined && b.count >= count && b.size === bufsize) return b;
  const next = new RecvBatch(count, bufsize);
  if (next.bytes <= KEEP_LIMIT * 4) recvBatch = next;
  return next;
}

function sameBytes(b: Uint8Array, x: number, y: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

function recvmmsgAttempt(
  c: SocketCore,
  count: number,
  bufsize: number,
  flags: number,
): () => Datagram[] | typeof FAILED {
  return () => {
    const fd = c.fd("recvmmsg");
    const b = batchFor(count, bufsize);
    b.reset(count);
    const r = libc.recvmmsg(fd, b.vec, count, flags, null);
    if (r < 0) return FAILED;
    const v = b.vecView;
    const out: Datagram[] = new Array(r);
    // One copy out of the arena for the whole batch; each datagram is a
    // view of it (one allocation per call, not per datagram).
    let total = 0;
    for (let i = 0; i < r; i++) {
      total += Math.min(v.getUint32(i * MM.size + MM.msg_len, LE), bufsize);
    }
    const bytes = new Uint8Array(total);
    let put = 0;
    let prevAt = -1;
    let prevLen = 0;
    let prev: Address | null = null;
    for (let i = 0; i < r; i++) {
      const at = i * MM.size;
      const len = Math.min(v.getUint32(at + MM.msg_len, LE), bufsize);
      const h = at + MM.msg_hdr;
      const nlen = Math.min(v.getUint32(h + M.msg_namelen, LE), STORAGE);
      const nameAt = i * STORAGE;
      let address: Address | null = null;
      if (nlen > 0) {
        // A batch usually comes from few senders: decode each once.
        if (
          prev !== null && nlen === prevLen &&
          sameBytes(b.names, nameAt, prevAt, nlen)
        ) {
          address = copyAddress(prev);
        } else {
          address = c.decode(b.names.subarray(nameAt, nameAt + nlen));
          prev = address;
          prevAt = nameAt;
          prevLen = nlen;
        }
      }
      const data = bytes.subarray(put, put + len);
      data.set(b.arena.subarray(i * bufsize, i * bufsize + len));
      put += len;
      out[i] = {
        data,
        address,
        flags: v.getInt32(h + M.msg_flags, LE),
      };
    }
    return out;
  };
}

function recvmmsgPlan(
  sock: Socket,
  count: unknown,
  bufsize: unknown,
  flags: unknown,
): [SocketCore, number, number, number] {
  const c = coreOf(sock);
  const n = intArg(count, "count");
  if (n < 1) throw new RangeError(`count must be at least 1 (${n})`);
  const size = sizeArg(bufsize, "buffer size", "recvmmsg");
  const f = intArg(flags, "flags");
  batchSymbol("recvmmsg");
  return [c, Math.min(n, MAX_BATCH), size, f];
}

/**
 * `recvmmsg(2)`: waits for one datagram as the socket's mode says, then
 * takes every queued one up to `count`. See `Socket.recvmmsgSync`.
 *
 * @internal
 */
export function recvmmsgSync(
  sock: Socket,
  count: number,
  bufsize: number,
  flags: number,
): Datagram[] {
  const [c, n, size, f] = recvmmsgPlan(sock, count, bufsize, flags);
  return c.sync(
    "read",
    "recvmmsg",
    recvmmsgAttempt(c, n, size, f | MSG_WAITFORONE),
  );
}

/**
 * `recvmmsg(2)` without blocking the thread. See `Socket.recvmmsg`.
 *
 * @internal
 */
export async function recvmmsg(
  sock: Socket,
  count: number,
  bufsize: number,
  flags: number,
  options: AsyncOptions | undefined,
): Promise<Datagram[]> {
  const [c, n, size, f] = recvmmsgPlan(sock, count, bufsize, flags);
  return await c.async(
    "read",
    "recvmmsg",
    options,
    recvmmsgAttempt(c, n, size, f | MSG_DONTWAIT),
  );
}

interface MmsgPlan {
  c: SocketCore;
  parts: Uint8Array[][];
  names: (Uint8Array | null)[];
  controls: (Uint8Array | null)[];
  iovCount: number;
  flags: number;
}

function sendmmsgPlan(
  sock: Socket,
  messages: unknown,
  flags: unknown,
  extra: number,
): MmsgPlan {
  const c = coreOf(sock);
  if (
    messages === null || messages === undefined ||
    typeof (messages as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `sendmmsg() messages must be an iterable, not ${typeName(messages)}`,
    );
  }
  const parts: Uint8Array[][] = [];
  const names: (Uint8Array | null)[] = [];
  const controls: (Uint8Array | null)[] = [];
  let iovCount = 0;
  let lastAddress: unknown = undefined;
  let lastName: Uint8Array | null = null;
  for (const m of messages as Iterable<unknown>) {
    if (parts.length === MAX_BATCH) break;
    if (typeof m !== "object" || m === null) {
      throw new TypeError(
        `sendmmsg() messages must be { data, address?, ancdata? } objects, not ${
          typeName(m)
        }`,
      );
    }
    const { data, address, ancdata } = m as Record<string, unknown>;
    const bufs = ArrayBuffer.isView(data) || data instanceof ArrayBuffer
      ? [bytesArg(data, "sendmmsg() data")]
      : buffersArg(data, "sendmmsg");
    let sa: Uint8Array | null = null;
    if (address !== undefined && address !== null) {
      // Batches usually repeat one destination object: encode it once.
      if (address !== lastAddress) {
        lastName = c.encode(address);
        lastAddress = address;
      }
      sa = lastName;
    }
    parts.push(bufs);
    names.push(sa);
    controls.push(
      ancdata === undefined || ancdata === null
        ? null
        : encodeControl(ancdataArg(ancdata, "ancdata")),
    );
    iovCount += bufs.length;
  }
  const f = intArg(flags, "flags");
  batchSymbol("sendmmsg");
  return {
    c,
    parts,
    names,
    controls,
    iovCount,
    flags: f | MSG_NOSIGNAL | extra,
  };
}

const mvec = new Scratch(MM.size * 16);
const mnames = new Scratch(STORAGE * 16);

function sendmmsgAttempt(p: MmsgPlan): () => number | typeof FAILED {
  return () => {
    const fd = p.c.fd("sendmmsg");
    const count = p.parts.length;
    const vec = mvec.fit(count * MM.size);
    const io = iovs.fit(p.iovCount * IOV.size);
    const nm = mnames.fit(count * STORAGE);
    let iovAt = 0;
    for (let i = 0; i < count; i++) {
      const bufs = p.parts[i];
      putIovecs(io.view, iovAt * IOV.size, bufs);
      const sa = p.names[i];
      let saAddr = 0n;
      let saLen = 0;
      if (sa !== null) {
        if (sa.byteLength <= STORAGE) {
          nm.buf.set(sa, i * STORAGE);
          saAddr = nm.addr + BigInt(i * STORAGE);
        } else {
          saAddr = addressOf(sa);
        }
        saLen = sa.byteLength;
      }
      const ctl = p.controls[i];
      putHeader(
        vec.view,
        i * MM.size + MM.msg_hdr,
        saAddr,
        saLen,
        io.addr + BigInt(iovAt * IOV.size),
        bufs.length,
        ctl === null ? 0n : addressOf(ctl),
        ctl === null ? 0 : ctl.byteLength,
      );
      iovAt += bufs.length;
    }
    const n = libc.sendmmsg(fd, vec.buf, count, p.flags);
    return n < 0 ? FAILED : n;
  };
}

/**
 * `sendmmsg(2)`, blocking as the socket's mode says. See
 * `Socket.sendmmsgSync`.
 *
 * @internal
 */
export function sendmmsgSync(
  sock: Socket,
  messages: Iterable<MmsgMessage>,
  flags: number,
): number {
  const p = sendmmsgPlan(sock, messages, flags, 0);
  if (p.parts.length === 0) return 0;
  return p.c.sync("write", "sendmmsg", sendmmsgAttempt(p));
}

/**
 * `sendmmsg(2)` without blocking the thread. See `Socket.sendmmsg`.
 *
 * @internal
 */
export async function sendmmsg(
  sock: Socket,
  messages: Iterable<MmsgMessage>,
  flags: number,
  options: AsyncOptions | undefined,
): Promise<number> {
  const p = sendmmsgPlan(sock, messages, flags, MSG_DONTWAIT);
  if (p.parts.length === 0) return 0;
  return await p.c.async("write", "sendmmsg", options, sendmmsgAttempt(p));
}
