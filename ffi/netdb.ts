/**
 * The C library's name-service calls (`<netdb.h>`, `<net/if.h>`), read out
 * into plain values.
 *
 * The four that may wait on the network (`getaddrinfo`, `getnameinfo`,
 * `gethostbyname_r`, `gethostbyaddr_r`) come in two forms with one result
 * shape: {@link blocking} runs the call on the calling thread;
 * {@link offThread} runs it where it cannot stall the JavaScript thread.
 * Off-thread, Deno runs the call as a `nonblocking` FFI symbol (Deno's
 * blocking-task threads), at most {@link MAX_IN_FLIGHT} at a time; errno
 * is not readable after such a call, so its outcome reports
 * {@link UNKNOWN_ERRNO}. Bun has no async FFI: a pool of at most
 * {@link MAX_WORKERS} Workers, created on demand and `unref`'d while idle
 * (so they never keep the process alive), each loads `bun:ffi` itself, makes
 * the call, reads errno at once, and posts back plain values.
 *
 * The local lookups (services, protocols, interfaces, the host name) only
 * exist in the blocking form.
 *
 * Memory C returns is read in the thread that got it: an `addrinfo` list
 * is walked and freed (exactly once) right after the call, a `hostent` is
 * parsed before its buffer is dropped. Only plain values cross threads.
 *
 * @module
 */
import { layout } from "../constants/mod.ts";
import { errnoCodes } from "../constants/mod.ts";
import { errnoError } from "../errors.ts";
import { addressOf, errno, libc, LIBC_PATHS, runtime, size } from "./sys.ts";
import { posixSymbols } from "./libc.ts";
// The six-argument gethostbyname_r and friends are the glibc/musl ones;
// a platform without them brings its own table here.
import { platformSymbols } from "./linux.ts";
import type { Functions, Pointer, SymbolSpec } from "./runtime.ts";

/** One `struct addrinfo`, its `ai_addr` copied (clamped to `sockaddr_storage`). */
export interface RawAddrInfo {
  /** `ai_family`. */
  family: number;
  /** `ai_socktype`. */
  type: number;
  /** `ai_protocol`. */
  proto: number;
  /** `ai_canonname`, or `""` when NULL. */
  canonname: string;
  /** The `ai_addr` bytes. */
  addr: Uint8Array;
}

/** What `getaddrinfo` returned. */
export interface GaiOutcome {
  /** 0 or the `EAI_*` code. */
  code: number;
  /** errno after a failure, or {@link UNKNOWN_ERRNO}. */
  errno: number;
  /** The results (empty on failure). */
  list: RawAddrInfo[];
}

/** What `getnameinfo` returned. */
export interface NameInfoOutcome {
  /** 0 or the `EAI_*` code. */
  code: number;
  /** errno after a failure, or {@link UNKNOWN_ERRNO}. */
  errno: number;
  /** The host text. */
  host: string;
  /** The service text. */
  serv: string;
}

/** A `struct hostent`, read out. */
export interface RawHostent {
  /** `h_name`. */
  name: string;
  /** `h_aliases`. */
  aliases: string[];
  /** `h_addrtype`. */
  addrtype: number;
  /** `h_addr_list`, `h_length` bytes each. */
  addrs: Uint8Array[];
}

/** What `gethostbyname_r`/`gethostbyaddr_r` returned. */
export interface HostOutcome {
  /** The call's return value: 0, or an errno value such as `ERANGE`. */
  code: number;
  /** `*h_errnop` when nothing was found. */
  herrno: number;
  /** The entry, or null when nothing was found. */
  host: RawHostent | null;
}

/** The four calls, in one form. */
export interface NameService<R> {
  /**
   * `getaddrinfo(3)`; the list is freed before this returns.
   *
   * @param host NUL-terminated, or null for NULL
   * @param service NUL-terminated, or null for NULL
   * @param hints a `struct addrinfo`
   */
  getaddrinfo(
    host: Uint8Array | null,
    service: Uint8Array | null,
    hints: Uint8Array,
  ): R extends "sync" ? GaiOutcome : Promise<GaiOutcome>;
  /**
   * `getnameinfo(3)` with `NI_MAXHOST`/`NI_MAXSERV` buffers.
   *
   * @param sa the sockaddr
   * @param flags `NI_*`
   */
  getnameinfo(
    sa: Uint8Array,
    flags: number,
  ): R extends "sync" ? NameInfoOutcome : Promise<NameInfoOutcome>;
  /**
   * `gethostbyname_r(3)`, growing the buffer on `ERANGE`.
   *
   * @param name NUL-terminated
   */
  gethostbyname(
    name: Uint8Array,
  ): R extends "sync" ? HostOutcome : Promise<HostOutcome>;
  /**
   * `gethostbyaddr_r(3)`, growing the buffer on `ERANGE`.
   *
   * @param addr 4 or 16 address bytes
   * @param family `AF_INET` or `AF_INET6`
   */
  gethostbyaddr(
    addr: Uint8Array,
    family: number,
  ): R extends "sync" ? HostOutcome : Promise<HostOutcome>;
}

/** The errno an off-thread outcome reports when it could not be read. */
export const UNKNOWN_ERRNO = -1;
/** Deno: the most nonblocking resolver calls in flight at once. */
export const MAX_IN_FLIGHT = 8;
/** Bun: the most resolver Workers. */
export const MAX_WORKERS = 4;

/** The struct layouts the walkers need; plain data, so a Worker gets a copy. */
interface Shapes {
  ptr: number;
  little: boolean;
  storage: number;
  ai: {
    ai_family: number;
    ai_socktype: number;
    ai_protocol: number;
    ai_addrlen: number;
    ai_addr: number;
    ai_canonname: number;
    ai_next: number;
  };
  he: {
    size: number;
    h_name: number;
    h_aliases: number;
    h_addrtype: number;
    h_length: number;
    h_addr_list: number;
  };
  maxHost: number;
  maxServ: number;
  erange: number;
  firstBuf: number;
  maxBuf: number;
}

const S: Shapes = {
  ptr: layout.sizes.pointer,
  little: new Uint8Array(new Uint16Array([1]).buffer)[0] === 1,
  storage: layout.sockaddr_storage.size,
  ai: {
    ai_family: layout.addrinfo.ai_family,
    ai_socktype: layout.addrinfo.ai_socktype,
    ai_protocol: layout.addrinfo.ai_protocol,
    ai_addrlen: layout.addrinfo.ai_addrlen,
    ai_addr: layout.addrinfo.ai_addr,
    ai_canonname: layout.addrinfo.ai_canonname,
    ai_next: layout.addrinfo.ai_next,
  },
  he: {
    size: layout.hostent.size,
    h_name: layout.hostent.h_name,
    h_aliases: layout.hostent.h_aliases,
    h_addrtype: layout.hostent.h_addrtype,
    h_length: layout.hostent.h_length,
    h_addr_list: layout.hostent.h_addr_list,
  },
  maxHost: 1025,
  maxServ: 32,
  erange: errnoCodes.ERANGE,
  // CPython's gethostbyname_r buffer is 16 KiB; grow from there on ERANGE.
  firstBuf: 16384,
  maxBuf: 4 * 1024 * 1024,
};

/** Reads memory C wrote; one implementation per thread and runtime. */
interface Mem {
  isNull(p: Pointer): boolean;
  /** The pointer stored at `p + off`. */
  ptr(p: Pointer, off: number): Pointer;
  /** The `int` at `p + off`. */
  i32(p: Pointer, off: number): number;
  /** The NUL-terminated UTF-8 string at `p`. */
  str(p: Pointer): string;
  /** A copy of `len` bytes at `p + off`. */
  bytes(p: Pointer, off: number, len: number): Uint8Array;
  /** The pointer stored in a JavaScript buffer at `off`. */
  at(buf: Uint8Array, off: number): Pointer;
}

/** The buffers of one `gethostby*_r` call, carved from one allocation. */
interface HostBufs {
  ret: Uint8Array;
  result: Uint8Array;
  herr: Uint8Array;
  data: Uint8Array;
}

// The helpers below run on the main thread and, as source text, inside the
// Bun Workers: they must stay self-contained (no imports, no outer names
// except each other).

/** The UTF-8 text up to the first NUL of `b`. */
function cText(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end));
}

/** Walks an `addrinfo` list into plain values (does not free it). */
function walkAddrInfo(mem: Mem, s: Shapes, first: Pointer): RawAddrInfo[] {
  const out: RawAddrInfo[] = [];
  for (let p = first; !mem.isNull(p); p = mem.ptr(p, s.ai.ai_next)) {
    const addrlen = mem.i32(p, s.ai.ai_addrlen) >>> 0;
    const addr = mem.ptr(p, s.ai.ai_addr);
    const canon = mem.ptr(p, s.ai.ai_canonname);
    out.push({
      family: mem.i32(p, s.ai.ai_family),
      type: mem.i32(p, s.ai.ai_socktype),
      proto: mem.i32(p, s.ai.ai_protocol),
      canonname: mem.isNull(canon) ? "" : mem.str(canon),
      addr: mem.isNull(addr)
        ? new Uint8Array(0)
        : mem.bytes(addr, 0, Math.min(addrlen, s.storage)),
    });
  }
  return out;
}

/** The `getaddrinfo` outcome; frees the list exactly once, also on throw. */
function finishGai(
  mem: Mem,
  s: Shapes,
  free: (p: Pointer) => void,
  code: number,
  err: number,
  head: Uint8Array,
): GaiOutcome {
  if (code !== 0) return { code, errno: err, list: [] };
  const first = mem.at(head, 0);
  try {
    return { code, errno: 0, list: walkAddrInfo(mem, s, first) };
  } finally {
    if (!mem.isNull(first)) free(first);
  }
}

/** The `getnameinfo` buffers: host, then service, in one allocation. */
function nameInfoBufs(s: Shapes): [Uint8Array, Uint8Array] {
  const b = new Uint8Array(s.maxHost + s.maxServ);
  return [b.subarray(0, s.maxHost), b.subarray(s.maxHost)];
}

function finishNameInfo(
  code: number,
  err: number,
  host: Uint8Array,
  serv: Uint8Array,
): NameInfoOutcome {
  if (code !== 0) return { code, errno: err, host: "", serv: "" };
  return { code, errno: 0, host: cText(host), serv: cText(serv) };
}

/** Buffers for one `gethostby*_r` call with `n` bytes of string space. */
function hostBufs(s: Shapes, n: number): HostBufs {
  const head = (s.he.size + 7) & ~7;
  const b = new Uint8Array(head + 16 + n);
  return {
    ret: b.subarray(0, s.he.size),
    result: b.subarray(head, head + 8),
    herr: b.subarray(head + 8, head + 12),
    data: b.subarray(head + 16),
  };
}

/** Reads a NULL-terminated array of pointers (bounded). */
function pointerList(mem: Mem, s: Shapes, list: Pointer): Pointer[] {
  const out: Pointer[] = [];
  if (mem.isNull(list)) return out;
  for (let i = 0; i < 4096; i++) {
    const p = mem.ptr(list, i * s.ptr);
    if (mem.isNull(p)) break;
    out.push(p);
  }
  return out;
}

/** The `gethostby*_r` outcome: the `hostent` when `*result` is set. */
function finishHost(
  mem: Mem,
  s: Shapes,
  code: number,
  b: HostBufs,
): HostOutcome {
  const herr = new DataView(b.herr.buffer, b.herr.byteOffset, 4)
    .getInt32(0, s.little);
  if (code !== 0 || mem.isNull(mem.at(b.result, 0))) {
    return { code, herrno: herr, host: null };
  }
  const v = new DataView(b.ret.buffer, b.ret.byteOffset, b.ret.byteLength);
  const len = Math.max(0, Math.min(v.getInt32(s.he.h_length, s.little), 16));
  const name = mem.at(b.ret, s.he.h_name);
  return {
    code,
    herrno: 0,
    host: {
      name: mem.isNull(name) ? "" : mem.str(name),
      aliases: pointerList(mem, s, mem.at(b.ret, s.he.h_aliases))
        .map((p) => mem.str(p)),
      addrtype: v.getInt32(s.he.h_addrtype, s.little),
      addrs: pointerList(mem, s, mem.at(b.ret, s.he.h_addr_list))
        .map((p) => mem.bytes(p, 0, len)),
    },
  };
}

/** A pointer-sized unsigned word stored in `buf` at `off`. */
function word(buf: Uint8Array, off: number): bigint {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return S.ptr === 8
    ? v.getBigUint64(off, S.little)
    : BigInt(v.getUint32(off, S.little));
}

const mainMem: Mem = {
  isNull: (p) => runtime.isNull(p),
  ptr: (p, off) => runtime.readPointer(p, off),
  i32: (p, off) => runtime.readI32(p, off),
  str: (p) => runtime.readCString(p),
  bytes: (p, off, len) => runtime.copy(p, off, len),
  at: (buf, off) => runtime.pointer(word(buf, off)),
};

/**
 * Reads what a `get*_r` call wrote into `buf` (the strings, the pointer
 * arrays) from `buf` itself, by offset and bounds-checked, and anything
 * else through the raw pointer. Holding the Mem keeps `buf` alive: a raw
 * read through a pointer into a collected buffer would read freed memory.
 */
function bufMem(buf: Uint8Array): Mem {
  const base = addressOf(buf);
  const end = base + BigInt(buf.byteLength);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const inside = (p: Pointer, off: number, n: number): number => {
    if (runtime.isNull(p)) return -1;
    const a = runtime.address(p) + BigInt(off);
    return a >= base && a + BigInt(n) <= end ? Number(a - base) : -1;
  };
  return {
    isNull: mainMem.isNull,
    ptr: (p, off) => {
      const o = inside(p, off, S.ptr);
      return o < 0 ? mainMem.ptr(p, off) : mainMem.at(buf, o);
    },
    i32: (p, off) => {
      const o = inside(p, off, 4);
      return o < 0 ? mainMem.i32(p, off) : view.getInt32(o, S.little);
    },
    str: (p) => {
      const o = inside(p, 0, 1);
      return o < 0 ? mainMem.str(p) : cText(buf.subarray(o));
    },
    bytes: (p, off, len) => {
      const o = inside(p, off, len);
      return o < 0 ? mainMem.bytes(p, off, len) : buf.slice(o, o + len);
    },
    at: mainMem.at,
  };
}

const free = (p: Pointer): void => libc.freeaddrinfo(p);

/**
 * Reads the `addrinfo` list a `getaddrinfo` call on this thread stored in
 * `head` (a `struct addrinfo **`) and frees it, exactly once.
 *
 * @param head the pointer-sized cell getaddrinfo wrote
 * @returns the entries
 */
export function takeAddrInfo(head: Uint8Array): RawAddrInfo[] {
  return finishGai(mainMem, S, free, 0, 0, head).list;
}

/** The calls on the calling thread; errno is read right after each. */
export const blocking: NameService<"sync"> = {
  getaddrinfo(host, service, hints): GaiOutcome {
    const head = new Uint8Array(8);
    const r = libc.getaddrinfo(host, service, hints, head);
    return finishGai(mainMem, S, free, r, r === 0 ? 0 : errno(), head);
  },
  getnameinfo(sa, flags): NameInfoOutcome {
    const [h, sv] = nameInfoBufs(S);
    const r = libc.getnameinfo(
      sa,
      sa.byteLength,
      h,
      h.byteLength,
      sv,
      sv.byteLength,
      flags,
    );
    return finishNameInfo(r, r === 0 ? 0 : errno(), h, sv);
  },
  gethostbyname(name): HostOutcome {
    for (let n = S.firstBuf;; n *= 4) {
      const b = hostBufs(S, n);
      const r = libc.gethostbyname_r(
        name,
        b.ret,
        b.data,
        size(b.data.byteLength),
        b.result,
        b.herr,
      );
      if (r !== S.erange || n >= S.maxBuf) {
        return finishHost(bufMem(b.data), S, r, b);
      }
    }
  },
  gethostbyaddr(addr, family): HostOutcome {
    for (let n = S.firstBuf;; n *= 4) {
      const b = hostBufs(S, n);
      const r = libc.gethostbyaddr_r(
        addr,
        addr.byteLength,
        family,
        b.ret,
        b.data,
        size(b.data.byteLength),
        b.result,
        b.herr,
      );
      if (r !== S.erange || n >= S.maxBuf) {
        return finishHost(bufMem(b.data), S, r, b);
      }
    }
  },
};

// ---------------------------------------------------------------- Deno

const nonblockingSymbols = {
  getaddrinfo: { ...posixSymbols.getaddrinfo, nonblocking: true },
  getnameinfo: { ...posixSymbols.getnameinfo, nonblocking: true },
  gethostbyname_r: { ...platformSymbols.gethostbyname_r, nonblocking: true },
  gethostbyaddr_r: { ...platformSymbols.gethostbyaddr_r, nonblocking: true },
} as const satisfies Record<string, SymbolSpec>;

let denoLib: Functions<typeof nonblockingSymbols> | undefined;
let inFlight = 0;
const queued: (() => void)[] = [];

/** Runs `fn` when fewer than MAX_IN_FLIGHT calls are out. */
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  while (inFlight >= MAX_IN_FLIGHT) {
    await new Promise<void>((r) => queued.push(r));
  }
  inFlight++;
  try {
    return await fn();
  } finally {
    inFlight--;
    queued.shift()?.();
  }
}

function deno(): Functions<typeof nonblockingSymbols> {
  return denoLib ??= runtime.open(LIBC_PATHS, nonblockingSymbols);
}

// Every buffer below stays referenced by the pending async function until
// its call settles, so none is collected while C writes to it.
const denoService: NameService<"async"> = {
  getaddrinfo(host, service, hints): Promise<GaiOutcome> {
    return limited(async () => {
      const head = new Uint8Array(8);
      const r = await deno().getaddrinfo(host, service, hints, head);
      return finishGai(mainMem, S, free, r, UNKNOWN_ERRNO, head);
    });
  },
  getnameinfo(sa, flags): Promise<NameInfoOutcome> {
    return limited(async () => {
      const [h, sv] = nameInfoBufs(S);
      const r = await deno().getnameinfo(
        sa,
        sa.byteLength,
        h,
        h.byteLength,
        sv,
        sv.byteLength,
        flags,
      );
      return finishNameInfo(r, UNKNOWN_ERRNO, h, sv);
    });
  },
  gethostbyname(name): Promise<HostOutcome> {
    return limited(async () => {
      for (let n = S.firstBuf;; n *= 4) {
        const b = hostBufs(S, n);
        const r = await deno().gethostbyname_r(
          name,
          b.ret,
          b.data,
          size(b.data.byteLength),
          b.result,
          b.herr,
        );
        if (r !== S.erange || n >= S.maxBuf) {
          return finishHost(bufMem(b.data), S, r, b);
        }
      }
    });
  },
  gethostbyaddr(addr, family): Promise<HostOutcome> {
    return limited(async () => {
      for (let n = S.firstBuf;; n *= 4) {
        const b = hostBufs(S, n);
        const r = await deno().gethostbyaddr_r(
          addr,
          addr.byteLength,
          family,
          b.ret,
          b.data,
          size(b.data.byteLength),
          b.result,
          b.herr,
        );
        if (r !== S.erange || n >= S.maxBuf) {
          return finishHost(bufMem(b.data), S, r, b);
        }
      }
    });
  },
};

// ----------------------------------------------------------------- Bun

type Op = "getaddrinfo" | "getnameinfo" | "gethostbyname" | "gethostbyaddr";

interface Job {
  id: number;
  op: Op;
  args: unknown[];
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface PoolWorker {
  // deno-lint-ignore no-explicit-any
  worker: any;
  job: Job | undefined;
}

/** The Worker's body; runs in its own thread with its own bun:ffi. */
function resolverWorkerMain(s: Shapes, paths: string[]): void {
  // deno-lint-ignore no-explicit-any
  const self = globalThis as any;
  const spec = "bun:ffi";
  const ready = import(spec).then((ffi) => {
    const defs = {
      getaddrinfo: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
      freeaddrinfo: { args: ["ptr"], returns: "void" },
      getnameinfo: {
        args: ["ptr", "u32", "ptr", "u32", "ptr", "u32", "i32"],
        returns: "i32",
      },
      gethostbyname_r: {
        args: ["ptr", "ptr", "ptr", "u64_fast", "ptr", "ptr"],
        returns: "i32",
      },
      gethostbyaddr_r: {
        args: ["ptr", "u32", "i32", "ptr", "ptr", "u64_fast", "ptr", "ptr"],
        returns: "i32",
      },
      __errno_location: { args: [], returns: "ptr" },
    };
    // deno-lint-ignore no-explicit-any
    let lib: any;
    let why: unknown;
    for (const p of paths) {
      try {
        lib = ffi.dlopen(p, defs).symbols;
        break;
      } catch (e) {
        why = e;
      }
    }
    if (lib === undefined) throw why;
    const errnoAt = lib.__errno_location();
    const little = s.little;
    const mem: Mem = {
      isNull: (p) => p === null || p === 0,
      ptr: (p, off) => ffi.read.ptr(p, off),
      i32: (p, off) => ffi.read.i32(p, off),
      str: (p) => new ffi.CString(p).toString(),
      bytes: (p, off, len) =>
        len === 0
          ? new Uint8Array(0)
          : new Uint8Array(ffi.toArrayBuffer(p, off, len)).slice(),
      at: (buf, off) => {
        const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        return s.ptr === 8
          ? Number(v.getBigUint64(off, little))
          : v.getUint32(off, little);
      },
    };
    return { lib, mem, errno: (): number => ffi.read.i32(errnoAt, 0) };
  });
  // Set synchronously, or the first message could arrive before it.
  self.onmessage = async (
    m: { data: { id: number; op: string; args: unknown[] } },
  ): Promise<void> => {
    const { id, op, args } = m.data;
    try {
      const { lib, mem, errno } = await ready;
      // deno-lint-ignore no-explicit-any
      const a = args as any[];
      let v: unknown;
      if (op === "getaddrinfo") {
        const head = new Uint8Array(8);
        const r = lib.getaddrinfo(a[0], a[1], a[2], head);
        v = finishGai(
          mem,
          s,
          (p) => lib.freeaddrinfo(p),
          r,
          r === 0 ? 0 : errno(),
          head,
        );
      } else if (op === "getnameinfo") {
        const [h, sv] = nameInfoBufs(s);
        const sa = a[0] as Uint8Array;
        const r = lib.getnameinfo(
          sa,
          sa.byteLength,
          h,
          h.byteLength,
          sv,
          sv.byteLength,
          a[1],
        );
        v = finishNameInfo(r, r === 0 ? 0 : errno(), h, sv);
      } else {
        for (let n = s.firstBuf;; n *= 4) {
          const b = hostBufs(s, n);
          const r = op === "gethostbyname"
            ? lib.gethostbyname_r(
              a[0],
              b.ret,
              b.data,
              b.data.byteLength,
              b.result,
              b.herr,
            )
            : lib.gethostbyaddr_r(
              a[0],
              a[0].byteLength,
              a[1],
              b.ret,
              b.data,
              b.data.byteLength,
              b.result,
              b.herr,
            );
          if (r !== s.erange || n >= s.maxBuf) {
            v = finishHost(mem, s, r, b);
            break;
          }
        }
      }
      self.postMessage({ id, ok: true, v });
    } catch (e) {
      self.postMessage({ id, ok: false, error: String(e) });
    }
  };
}

/** What a Worker's source is built from (see the note above `cText`). */
// deno-lint-ignore ban-types
const WORKER_HELPERS: readonly Function[] = [
  cText,
  walkAddrInfo,
  finishGai,
  nameInfoBufs,
  finishNameInfo,
  hostBufs,
  pointerList,
  finishHost,
  resolverWorkerMain,
];

/** Bun: at most MAX_WORKERS Workers; each runs one call at a time. */
class WorkerPool {
  #url: string | undefined;
  #workers: PoolWorker[] = [];
  /** The Worker still starting up (until its first reply), if any. */
  #starting: PoolWorker | undefined;
  #queue: Job[] = [];
  #nextId = 1;

  run(op: Op, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, op, args, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let pw = this.#workers.find((w) => w.job === undefined);
      if (pw === undefined) {
        // One Worker starts at a time: a Worker that is still starting up
        // makes the next `new Worker()` block this thread for milliseconds.
        if (this.#workers.length >= MAX_WORKERS) return;
        if (this.#starting !== undefined) return;
        pw = this.#spawn();
      }
      const job = this.#queue.shift()!;
      pw.job = job;
      pw.worker.ref?.();
      pw.worker.postMessage({ id: job.id, op: job.op, args: job.args });
    }
  }

  #spawn(): PoolWorker {
    this.#url ??= URL.createObjectURL(
      new Blob([
        WORKER_HELPERS.map((f) => `const ${f.name} = (${f.toString()});`)
          .join("\n"),
        `\nresolverWorkerMain(${JSON.stringify(S)}, ${
          JSON.stringify(LIBC_PATHS)
        });\n`,
      ], { type: "application/javascript" }),
    );
    // deno-lint-ignore no-explicit-any
    const W = (globalThis as any).Worker;
    const pw: PoolWorker = { worker: new W(this.#url), job: undefined };
    pw.worker.unref?.();
    this.#starting = pw;
    pw.worker.onmessage = (
      m: { data: { id: number; ok: boolean; v?: unknown; error?: string } },
    ): void => {
      if (this.#starting === pw) this.#starting = undefined;
      const job = pw.job;
      if (job === undefined || job.id !== m.data.id) return;
      pw.job = undefined;
      if (this.#queue.length === 0) pw.worker.unref?.();
      if (m.data.ok) job.resolve(m.data.v);
      else {
        job.reject(new Error(`resolver worker: ${m.data.error}`));
      }
      this.#dispatch();
    };
    pw.worker.onerror = (e: { message?: string }): void => {
      // A broken worker fails its call and leaves the pool.
      if (this.#starting === pw) this.#starting = undefined;
      this.#workers.splice(this.#workers.indexOf(pw), 1);
      pw.worker.terminate?.();
      pw.job?.reject(new Error(`resolver worker failed: ${e.message ?? e}`));
      pw.job = undefined;
      this.#dispatch();
    };
    this.#workers.push(pw);
    return pw;
  }
}

let pool: WorkerPool | undefined;

function bunRun<T>(op: Op, args: unknown[]): Promise<T> {
  return (pool ??= new WorkerPool()).run(op, args) as Promise<T>;
}

const bunService: NameService<"async"> = {
  getaddrinfo: (host, service, hints) =>
    bunRun("getaddrinfo", [host, service, hints]),
  getnameinfo: (sa, flags) => bunRun("getnameinfo", [sa, flags]),
  gethostbyname: (name) => bunRun("gethostbyname", [name]),
  gethostbyaddr: (addr, family) => bunRun("gethostbyaddr", [addr, family]),
};

/** The calls, run so they never block the JavaScript thread. */
export const offThread: NameService<"async"> = runtime.name === "deno"
  ? denoService
  : bunService;

// ------------------------------------------- services, protocols, interfaces

/** A `struct servent`, read out. */
export interface RawServent {
  /** `s_name`. */
  name: string;
  /** `s_port`, converted to host byte order. */
  port: number;
}

const SE = layout.servent;
const PE = layout.protoent;
const IFN = layout.if_nameindex;

/** Runs a `get*_r` call with a growing string buffer; the result or null. */
/**
 * Runs a `get*_r` call with a growing string buffer; the struct and the
 * buffer its pointers point into, or null.
 */
function reentrant(
  structSize: number,
  call: (ret: Uint8Array, buf: Uint8Array, result: Uint8Array) => number,
): { ret: Uint8Array; mem: Mem } | null {
  for (let n = 1024;; n *= 4) {
    const ret = new Uint8Array(structSize);
    const result = new Uint8Array(8);
    const buf = new Uint8Array(n);
    const r = call(ret, buf, result);
    if (r === S.erange && n < S.maxBuf) continue;
    if (r !== 0 || runtime.isNull(mainMem.at(result, 0))) return null;
    return { ret, mem: bufMem(buf) };
  }
}

function servent(
  got: { ret: Uint8Array; mem: Mem } | null,
): RawServent | null {
  if (got === null) return null;
  const { ret, mem } = got;
  const v = new DataView(ret.buffer, ret.byteOffset, ret.byteLength);
  const p = v.getInt32(SE.s_port, S.little) & 0xffff;
  // s_port holds the port in network byte order.
  const port = S.little ? ((p & 0xff) << 8) | (p >> 8) : p;
  return { name: mem.str(mainMem.at(ret, SE.s_name)), port };
}

/**
 * `getservbyname_r(3)`.
 *
 * @param name NUL-terminated
 * @param proto NUL-terminated, or null for any
 * @returns the entry, or null when there is none
 */
export function servByName(
  name: Uint8Array,
  proto: Uint8Array | null,
): RawServent | null {
  return servent(
    reentrant(SE.size, (ret, buf, result) =>
      libc.getservbyname_r(
        name,
        proto,
        ret,
        buf,
        size(buf.byteLength),
        result,
      )),
  );
}

/**
 * `getservbyport(3)`.
 *
 * @param port 0-65535, host byte order
 * @param proto NUL-terminated, or null for any
 * @returns the entry, or null when there is none
 */
export function servByPort(
  port: number,
  proto: Uint8Array | null,
): RawServent | null {
  const net = S.little ? ((port & 0xff) << 8) | (port >> 8) : port;
  return servent(
    reentrant(SE.size, (ret, buf, result) =>
      libc.getservbyport_r(
        net,
        proto,
        ret,
        buf,
        size(buf.byteLength),
        result,
      )),
  );
}

/**
 * `getprotobyname_r(3)` (plain `getprotobyname` where the C library has
 * no `_r`: musl's reads a static table).
 *
 * @param name NUL-terminated
 * @returns the protocol number, or null when there is none
 */
export function protoByName(name: Uint8Array): number | null {
  const r = libc.getprotobyname_r as typeof libc.getprotobyname_r | null;
  if (typeof r !== "function") {
    const p = libc.getprotobyname(name);
    return runtime.isNull(p) ? null : runtime.readI32(p, PE.p_proto);
  }
  const ret = reentrant(
    PE.size,
    (ret, buf, result) => r(name, ret, buf, size(buf.byteLength), result),
  );
  if (ret === null) return null;
  return new DataView(ret.ret.buffer, ret.ret.byteOffset).getInt32(
    PE.p_proto,
    S.little,
  );
}

/**
 * `if_nameindex(3)`, freed before returning.
 *
 * @returns `[index, name]` pairs
 * @throws {OSError} when the call fails
 */
export function nameIndex(): [number, string][] {
  const head = libc.if_nameindex();
  if (runtime.isNull(head)) throw errnoError(errno(), "if_nameindex");
  const out: [number, string][] = [];
  try {
    for (let i = 0;; i++) {
      const index = runtime.readI32(head, i * IFN.size + IFN.if_index) >>> 0;
      const name = runtime.readPointer(head, i * IFN.size + IFN.if_name);
      if (index === 0 && runtime.isNull(name)) break;
      out.push([index, runtime.readCString(name)]);
    }
  } finally {
    libc.if_freenameindex(head);
  }
  return out;
}

/**
 * `if_indextoname(3)`.
 *
 * @param index the interface index
 * @returns the name
 * @throws {OSError} with the call's errno (`ENXIO` for no such interface)
 */
export function indexToName(index: number): string {
  const buf = new Uint8Array(64);
  const p = libc.if_indextoname(index >>> 0, buf);
  if (runtime.isNull(p)) throw errnoError(errno(), "if_indextoname");
  return cText(buf);
}

/**
 * `hstrerror(3)`: the text of an `h_errno` value.
 *
 * @param code the `h_errno` value
 * @returns the C library's text
 */
export function hostErrorText(code: number): string {
  const f = libc.hstrerror as typeof libc.hstrerror | null;
  if (typeof f === "function") return runtime.readCString(f(code));
  return HERR_TEXT[code] ?? `Resolver Error ${code}`;
}

const HERR_TEXT: Record<number, string> = {
  [-1]: "Resolver internal error",
  0: "Resolver Error 0 (no error)",
  1: "Unknown host",
  2: "Host name lookup failure",
  3: "Unknown server error",
  4: "No address associated with name",
};

/**
 * `gethostname(2)`.
 *
 * @returns the host name
 * @throws {OSError} when the call fails
 */
export function hostName(): string {
  const buf = new Uint8Array(1024);
  if (libc.gethostname(buf, size(buf.byteLength - 1)) !== 0) {
    throw errnoError(errno(), "gethostname");
  }
  return cText(buf);
}

/**
 * `sethostname(2)`.
 *
 * @param name the new name, NUL-terminated
 * @throws {OSError} when the call fails (`EPERM` without privilege)
 */
export function setHostName(name: Uint8Array): void {
  if (libc.sethostname(name, size(name.byteLength - 1)) !== 0) {
    throw errnoError(errno(), "sethostname");
  }
}
