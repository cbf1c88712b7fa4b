/**
 * Name resolution and the other module-level lookups of Python's `socket`
 * module: `getaddrinfo`/`getnameinfo`, the `gethostby*` family,
 * `getfqdn`, host name, services, protocols and network interfaces.
 *
 * The lookups that may wait on the network come in two forms: the bare
 * name returns a Promise and never blocks the JavaScript thread (Deno: a
 * `nonblocking` FFI call; Bun: a small pool of Workers), the `Sync` name
 * blocks the calling thread, as Python does. Both forms share one
 * implementation: each lookup is written once as a sequence of C calls
 * (a generator yielding them), run either on the calling thread or off it.
 *
 * Host names that are not ASCII are converted to IDNA (punycode) first, as
 * Python's `encodings.idna` does; see {@link toIdna}.
 *
 * @module
 */
import { typeName } from "./_args.ts";
import { C, errnoCodes, layout } from "./constants/mod.ts";
import {
  errnoError,
  GaiError,
  HError,
  OSError,
  setGaiNames,
} from "./errors.ts";
import type { Address, AddressContext } from "./families/types.ts";
import {
  decodeAddress,
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
} from "./families/mod.ts";
import { cstring, libc, runtime } from "./ffi/sys.ts";
import {
  blocking,
  type GaiOutcome,
  hostErrorText,
  hostName,
  type HostOutcome,
  indexToName,
  nameIndex,
  type NameInfoOutcome,
  offThread,
  protoByName,
  servByName,
  servByPort,
  setHostName,
  takeAddrInfo,
  UNKNOWN_ERRNO,
} from "./ffi/netdb.ts";

setGaiNames(
  Object.fromEntries(
    Object.entries(C).filter(([k]) => k.startsWith("EAI_")),
  ),
);

/** One `getaddrinfo` result, as Python's 5-tuple. */
export interface AddrInfo {
  /** Address family (`AF_INET`, `AF_INET6`, ...). */
  family: number;
  /** Socket type (`SOCK_STREAM`, ...). */
  type: number;
  /** Protocol number. */
  proto: number;
  /** The canonical name when `AI_CANONNAME` was asked for, else `""`. */
  canonname: string;
  /** The socket address, in the family's shape. */
  address: Address;
}

/** A `gethostbyname_ex`/`gethostbyaddr` result, as Python's 3-tuple. */
export interface HostEntry {
  /** The primary host name. */
  hostname: string;
  /** Alternative names. */
  aliases: string[];
  /** The addresses, as text (dotted quads or IPv6 text). */
  addresses: string[];
}

/**
 * The address of {@link getnameinfo}: an `AF_INET` or `AF_INET6` address
 * whose `host` is numeric.
 */
export interface NameInfoAddress {
  /** A numeric IPv4 or IPv6 address (IPv6 may carry `%scope`). */
  host: string;
  /** The port. */
  port: number;
  /** IPv6 only: `sin6_flowinfo`, 0-1048575. */
  flowinfo?: number;
  /** IPv6 only: `sin6_scope_id`; the `%scope` of `host` when absent. */
  scopeId?: number;
}

const AI = layout.addrinfo;
const AF_UNSPEC = C.AF_UNSPEC;
const AF_INET = C.AF_INET;
const AF_INET6 = C.AF_INET6;
const SOCK_DGRAM = C.SOCK_DGRAM;
const AI_PASSIVE = C.AI_PASSIVE;
const AI_NUMERICHOST = C.AI_NUMERICHOST;
const EAI_SYSTEM = C.EAI_SYSTEM;
const EINVAL = errnoCodes.EINVAL;
const ENOENT = errnoCodes.ENOENT;
const ENODEV = errnoCodes.ENODEV;
const EAFNOSUPPORT = errnoCodes.EAFNOSUPPORT;
const IN = layout.sockaddr_in;
const IN6 = layout.sockaddr_in6;
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The error `getaddrinfo`/`getnameinfo` returned `code` stands for:
 * {@link GaiError}, or for `EAI_SYSTEM` the OSError of `err` (errno).
 *
 * @param code the `EAI_*` value
 * @param syscall the failing call
 * @param err errno, read right after the call
 * @returns the error to throw
 */
export function gaiError(code: number, syscall: string, err = 0): OSError {
  if (code === EAI_SYSTEM) return errnoError(err, syscall);
  return new GaiError(
    code,
    runtime.readCString(libc.gai_strerror(code)),
    syscall,
  );
}

/**
 * The `struct addrinfo` hints for a query.
 *
 * @param family `ai_family`
 * @param type `ai_socktype`
 * @param proto `ai_protocol`
 * @param flags `ai_flags`
 * @returns the struct's bytes
 */
export function hints(
  family: number,
  type: number,
  proto: number,
  flags: number,
): Uint8Array {
  const h = new Uint8Array(AI.size);
  const v = new DataView(h.buffer);
  v.setInt32(AI.ai_flags, flags, LE);
  v.setInt32(AI.ai_family, family, LE);
  v.setInt32(AI.ai_socktype, type, LE);
  v.setInt32(AI.ai_protocol, proto, LE);
  return h;
}

/**
 * Walks an `addrinfo` list into objects and frees it (exactly once: the
 * list is copied out and freed before any address is decoded).
 *
 * @param head the `struct addrinfo **` getaddrinfo filled in
 * @param ctx the interface-name lookup for the address codecs
 * @returns the results
 */
export function readAddrInfoList(
  head: Uint8Array,
  ctx: AddressContext,
): AddrInfo[] {
  return takeAddrInfo(head).map((e) => ({
    family: e.family,
    type: e.type,
    proto: e.proto,
    canonname: e.canonname,
    address: decodeAddress(e.addr, ctx),
  }));
}

/**
 * `getaddrinfo(3)`, blocking: the low-level call under the address codecs.
 * `host`/`service` `null` are passed as NULL; no IDNA conversion.
 *
 * @param host the node name, or null
 * @param service the service, or null
 * @param family `ai_family`
 * @param type `ai_socktype`
 * @param proto `ai_protocol`
 * @param flags `ai_flags`
 * @returns the results
 * @throws {GaiError} when the lookup fails
 */
export function getaddrinfoRaw(
  host: string | null,
  service: string | null,
  family: number,
  type: number,
  proto: number,
  flags: number,
): AddrInfo[] {
  const out = blocking.getaddrinfo(
    host === null ? null : cstring(host),
    service === null ? null : cstring(service),
    hints(family, type, proto, flags),
  );
  return addrInfos(out, "getaddrinfo");
}

function addrInfos(out: GaiOutcome, syscall: string): AddrInfo[] {
  if (out.code !== 0) throw gaiError(out.code, syscall, out.errno);
  return out.list.map((e) => ({
    family: e.family,
    type: e.type,
    proto: e.proto,
    canonname: e.canonname,
    address: decodeAddress(e.addr, addressContext),
  }));
}

/**
 * Resolves a host name to the raw address bytes of its first result; the
 * name is IDNA-encoded first, as CPython's `getsockaddrarg` does.
 */
function resolveHost(host: string, family: number): Uint8Array {
  const list = getaddrinfoRaw(
    toIdna(host),
    null,
    family,
    C.SOCK_DGRAM,
    0,
    0,
  );
  return firstAddress(list, family);
}

/**
 * {@link resolveHost} without blocking the thread: the async calls of a
 * Socket (`connect`, `sendto`) resolve names through this.
 */
export async function resolveHostAsync(
  host: string,
  family: number,
): Promise<Uint8Array> {
  const list = await getaddrinfo(toIdna(host), null, family, C.SOCK_DGRAM);
  return firstAddress(list, family);
}

function firstAddress(list: AddrInfo[], family: number): Uint8Array {
  const first = list.find((a) => a.family === family);
  if (first === undefined) {
    throw new GaiError(
      C.EAI_ADDRFAMILY ?? C.EAI_NONAME,
      "Address family for hostname not supported",
      "getaddrinfo",
    );
  }
  const { host: numeric } = first.address as { host: string };
  const bytes = family === C.AF_INET
    ? parseIPv4(numeric)
    : parseIPv6(numeric.split("%")[0]);
  if (bytes === null) throw new Error(`resolver returned "${numeric}"`);
  return bytes;
}

/**
 * `if_nametoindex(3)`.
 *
 * @param name the interface name
 * @returns the index, or 0 when there is no such interface
 */
export function nametoindex(name: string): number {
  if (name.includes("\0")) return 0;
  return libc.if_nametoindex(cstring(name));
}

/**
 * `if_indextoname(3)`.
 *
 * @param index the interface index
 * @returns the name, or null when there is no such interface
 */
export function indextoname(index: number): string | null {
  const buf = new Uint8Array(C.IFNAMSIZ ?? 16);
  const p = libc.if_indextoname(index >>> 0, buf);
  if (runtime.isNull(p)) return null;
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
}

/** What the address codecs need from the C library. */
export const addressContext: AddressContext = {
  resolve: resolveHost,
  nametoindex,
  indextoname,
};

// ------------------------------------------------------------ arguments

const LONE_SURROGATE = /\p{Surrogate}/u;

/** A string argument; TypeError otherwise. */
function str(x: unknown, what: string): string {
  if (typeof x !== "string") {
    throw new TypeError(`${what} must be a string, not ${typeName(x)}`);
  }
  return x;
}

/** A string for a `const char *` (UTF-8): no NUL, no lone surrogate. */
function cArg(s: string, what: string): Uint8Array {
  if (s.includes("\0")) {
    throw new RangeError(`${what}: embedded null character`);
  }
  if (LONE_SURROGATE.test(s)) {
    throw new RangeError(`${what}: surrogates not allowed (not UTF-8)`);
  }
  return cstring(s);
}

/** An integer argument for a C `int`, as Python's `"i"` format checks it. */
function cint(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(x)}`);
  }
  if (x > 0x7fffffff) {
    throw new RangeError(
      `${what}: signed integer is greater than maximum (${x})`,
    );
  }
  if (x < -0x80000000) {
    throw new RangeError(`${what}: signed integer is less than minimum (${x})`);
  }
  return x;
}

/** An integer in `[0, max]`; TypeError/RangeError otherwise. */
function uint(x: unknown, what: string, max: number): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(x)}`);
  }
  if (x < 0 || x > max) {
    throw new RangeError(`${what} must be 0-${max}, not ${x}`);
  }
  return x;
}

/** Python's `str.strip()` whitespace. */
const PY_SPACE =
  "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

// ----------------------------------------------------------------- IDNA

const IDNA_DOTS = /[.\u3002\uff0e\uff61]/;
/** RFC 3454 table B.1: mapped to nothing. */
const MAP_TO_NOTHING =
  /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/g;
/**
 * RFC 3454 prohibited output (C.1.2-C.9), by general category where the
 * tables follow one: non-ASCII controls, format characters, private use, surrogates,
 * non-characters, non-ASCII spaces and separators, plus the few listed
 * code points of other categories.
 */
const PROHIBITED =
  /[\x80-\x9f\p{Cf}\p{Co}\p{Cs}\p{Noncharacter_Code_Point}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\u0340\u0341\u06dd\u070f\u180e\u2ff0-\u2ffb\ufff9-\ufffd]/u;

function idnaError(why: string): RangeError {
  return new RangeError(`encoding with 'idna' codec failed (${why})`);
}

function punyDigit(d: number): string {
  return String.fromCharCode(d < 26 ? 0x61 + d : 0x30 + d - 26);
}

function punyAdapt(delta: number, points: number, first: boolean): number {
  delta = first ? Math.floor(delta / 700) : delta >> 1;
  delta += Math.floor(delta / points);
  let k = 0;
  while (delta > 455) {
    delta = Math.floor(delta / 35);
    k += 36;
  }
  return k + Math.floor((36 * delta) / (delta + 38));
}

/** RFC 3492 punycode encoding of one label (without the `xn--` prefix). */
function punycode(label: string): string {
  const cps = Array.from(label, (c) => c.codePointAt(0)!);
  let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c))
    .join("");
  const basic = out.length;
  if (basic > 0) out += "-";
  let n = 0x80;
  let delta = 0;
  let bias = 72;
  let h = basic;
  while (h < cps.length) {
    let m = Infinity;
    for (const c of cps) if (c >= n && c < m) m = c;
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c !== n) continue;
      let q = delta;
      for (let k = 36;; k += 36) {
        const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
        if (q < t) break;
        out += punyDigit(t + ((q - t) % (36 - t)));
        q = Math.floor((q - t) / (36 - t));
      }
      out += punyDigit(q);
      bias = punyAdapt(delta, h + 1, h === basic);
      delta = 0;
      h++;
    }
    delta++;
    n++;
  }
  return out;
}

/**
 * An approximation of RFC 3491 nameprep: table B.1 removed, full case
 * folding (via upper- then lower-casing; dotless i kept, as B.2 keeps
 * it), NFKC, and the prohibited-output check. The bidi rule is not
 * checked.
 */
function nameprep(label: string): string {
  let s = "";
  for (const ch of label.replace(MAP_TO_NOTHING, "")) {
    s += ch === "\u0131" ? ch : ch.toLowerCase().toUpperCase().toLowerCase();
  }
  s = s.normalize("NFKC");
  const bad = PROHIBITED.exec(s);
  if (bad !== null) {
    throw idnaError(
      `Invalid character '\\u${
        bad[0].codePointAt(0)!.toString(16).padStart(4, "0")
      }'`,
    );
  }
  return s;
}

/** Nothing above U+007F (C0 controls included: the C library judges those). */
// deno-lint-ignore no-control-regex
const ASCII_ONLY = /^[\x00-\x7f]*$/;

function labelToAscii(label: string): string {
  if (ASCII_ONLY.test(label)) {
    if (label.length > 0 && label.length < 64) return label;
    throw idnaError("label empty or too long");
  }
  if (LONE_SURROGATE.test(label)) {
    const c = LONE_SURROGATE.exec(label)![0].charCodeAt(0).toString(16);
    throw idnaError(`Invalid character '\\u${c}'`);
  }
  const prepped = nameprep(label);
  if (ASCII_ONLY.test(prepped)) {
    if (prepped.length > 0 && prepped.length < 64) return prepped;
    throw idnaError("label empty or too long");
  }
  if (prepped.startsWith("xn--")) {
    throw idnaError("Label starts with ACE prefix");
  }
  const ace = "xn--" + punycode(prepped);
  if (ace.length < 64) return ace;
  throw idnaError("label empty or too long");
}

/**
 * Converts a host name to the ASCII form the C resolver takes, following
 * Python's `encodings.idna` (IDNA 2003): an all-ASCII name is passed
 * through after the label-length checks; otherwise the name is split at
 * the four IDNA dots (`.`, `。`, `．`, `｡`), each non-ASCII label is
 * nameprepped and punycoded (`xn--...`), and a trailing dot is kept.
 *
 * Nameprep is approximated (see the module source): case folding, NFKC,
 * the removed and prohibited characters, no bidi rule. Names such as
 * `"bücher.example"` or `"日本語.jp"` come out as Python's; exotic ones may
 * differ.
 *
 * @example
 * ```ts
 * import { toIdna } from "./resolver.ts";
 * console.log(toIdna("bücher.example")); // "xn--bcher-kva.example"
 * console.log(toIdna("localhost")); // "localhost"
 * ```
 *
 * @param host the host name
 * @returns the ASCII host name
 * @throws {RangeError} for an empty label, a label of 64 or more
 *   characters, or a prohibited character (Python's `UnicodeError`)
 */
export function toIdna(host: string): string {
  if (ASCII_ONLY.test(host)) {
    const labels = host.split(".");
    for (const label of labels.slice(0, -1)) {
      if (!(label.length > 0 && label.length < 64)) {
        throw idnaError("label empty or too long");
      }
    }
    if (labels[labels.length - 1].length >= 64) {
      throw idnaError("label too long");
    }
    return host;
  }
  const labels = host.split(IDNA_DOTS);
  let trailing = "";
  if (labels.length > 0 && labels[labels.length - 1] === "") {
    trailing = ".";
    labels.pop();
  }
  return labels.map(labelToAscii).join(".") + trailing;
}

/**
 * A host name argument: IDNA-converted and NUL-terminated. A NUL is a
 * TypeError here, as CPython's `"et"` argument format has it for the
 * `gethostby*` functions.
 */
function hostArg(x: unknown, what: string): [string, Uint8Array] {
  const ascii = toIdna(str(x, what));
  if (ascii.includes("\0")) {
    throw new TypeError(`${what} must be a string without null characters`);
  }
  return [ascii, cArg(ascii, what)];
}

// ------------------------------------------------------------ the drivers

type Call =
  | {
    op: "getaddrinfo";
    args: [Uint8Array | null, Uint8Array | null, Uint8Array];
  }
  | { op: "getnameinfo"; args: [Uint8Array, number] }
  | { op: "gethostbyname"; args: [Uint8Array] }
  | { op: "gethostbyaddr"; args: [Uint8Array, number] };

/** A lookup written once: yields its C calls, gets their outcomes back. */
type Flow<T> = Generator<Call, T, unknown>;

function* callGai(
  host: Uint8Array | null,
  service: Uint8Array | null,
  hintBytes: Uint8Array,
): Flow<GaiOutcome> {
  return (yield {
    op: "getaddrinfo",
    args: [host, service, hintBytes],
  }) as GaiOutcome;
}

function* callNameInfo(sa: Uint8Array, flags: number): Flow<NameInfoOutcome> {
  return (yield { op: "getnameinfo", args: [sa, flags] }) as NameInfoOutcome;
}

function* callHostByName(name: Uint8Array): Flow<HostOutcome> {
  return (yield { op: "gethostbyname", args: [name] }) as HostOutcome;
}

function* callHostByAddr(addr: Uint8Array, af: number): Flow<HostOutcome> {
  return (yield { op: "gethostbyaddr", args: [addr, af] }) as HostOutcome;
}

function callBlocking(c: Call): unknown {
  switch (c.op) {
    case "getaddrinfo":
      return blocking.getaddrinfo(...c.args);
    case "getnameinfo":
      return blocking.getnameinfo(...c.args);
    case "gethostbyname":
      return blocking.gethostbyname(...c.args);
    case "gethostbyaddr":
      return blocking.gethostbyaddr(...c.args);
  }
}

/**
 * Off the JavaScript thread. errno cannot be read after a Deno
 * `nonblocking` call, so an `EAI_SYSTEM` failure there is asked again once
 * on this thread, to report the errno Python would. That failure is a
 * local one (descriptors, memory, reading a file) which repeats at once,
 * so the retry does not wait on the network in practice.
 */
async function callOffThread(c: Call): Promise<unknown> {
  switch (c.op) {
    case "getaddrinfo": {
      const out = await offThread.getaddrinfo(...c.args);
      return out.code === EAI_SYSTEM && out.errno === UNKNOWN_ERRNO
        ? blocking.getaddrinfo(...c.args)
        : out;
    }
    case "getnameinfo": {
      const out = await offThread.getnameinfo(...c.args);
      return out.code === EAI_SYSTEM && out.errno === UNKNOWN_ERRNO
        ? blocking.getnameinfo(...c.args)
        : out;
    }
    case "gethostbyname":
      return await offThread.gethostbyname(...c.args);
    case "gethostbyaddr":
      return await offThread.gethostbyaddr(...c.args);
  }
}

function runSync<T>(flow: Flow<T>): T {
  let step = flow.next();
  while (!step.done) {
    let out: unknown;
    try {
      out = callBlocking(step.value);
    } catch (e) {
      step = flow.throw(e);
      continue;
    }
    step = flow.next(out);
  }
  return step.value;
}

async function runAsync<T>(flow: Flow<T>): Promise<T> {
  let step = flow.next();
  while (!step.done) {
    let out: unknown;
    try {
      out = await callOffThread(step.value);
    } catch (e) {
      step = flow.throw(e);
      continue;
    }
    step = flow.next(out);
  }
  return step.value;
}

// ------------------------------------------------------------ getaddrinfo

const LONG_LIMIT = 2 ** 63;

/** The service argument as CPython passes it: a number as its decimal. */
function serviceArg(port: unknown): Uint8Array | null {
  if (port === null || port === undefined) return null;
  if (typeof port === "string") return cArg(port, "getaddrinfo() port");
  if (typeof port === "number" && Number.isInteger(port)) {
    if (port >= LONG_LIMIT || port < -LONG_LIMIT) {
      throw new RangeError(
        `getaddrinfo() port: Python int too large to convert to C long (${port})`,
      );
    }
    return cstring(BigInt(port).toString());
  }
  if (typeof port === "bigint") {
    if (port >= BigInt(LONG_LIMIT) || port < -BigInt(LONG_LIMIT)) {
      throw new RangeError(
        `getaddrinfo() port: Python int too large to convert to C long (${port})`,
      );
    }
    return cstring(port.toString());
  }
  throw new OSError(EINVAL, "Int or String expected", "getaddrinfo");
}

function* gaiFlow(
  host: unknown,
  port: unknown,
  family: unknown,
  type: unknown,
  proto: unknown,
  flags: unknown,
): Flow<AddrInfo[]> {
  let h: Uint8Array | null = null;
  if (host !== null && host !== undefined) {
    if (typeof host !== "string") {
      throw new TypeError(
        `getaddrinfo() argument 1 must be string or null, not ${
          typeName(host)
        }`,
      );
    }
    h = cArg(toIdna(host), "getaddrinfo() host");
  }
  const service = serviceArg(port);
  const hintBytes = hints(
    cint(family, "family"),
    cint(type, "type"),
    cint(proto, "proto"),
    cint(flags, "flags"),
  );
  return addrInfos(yield* callGai(h, service, hintBytes), "getaddrinfo");
}

/**
 * Translates a host and port into the socket addresses to use
 * (`getaddrinfo(3)`), without blocking the JavaScript thread.
 *
 * `host` `null` and `port` `null` are passed as NULL. A number `port` is
 * passed as its decimal text, as CPython does (so 70000 wraps to 4464 in
 * the C library, and a number beyond a C `long` is a RangeError); a string
 * may be a service name (`"http"`). A non-ASCII host is converted to IDNA
 * first ({@link toIdna}). IPv6 addresses come back in lower case with
 * `flowinfo` and `scopeId`.
 *
 * @example Resolving without the network
 * ```ts
 * import { AF_INET, getaddrinfo, SOCK_STREAM } from "@sockets/socket";
 * const [first] = await getaddrinfo("127.0.0.1", 80, AF_INET, SOCK_STREAM);
 * console.log(first.address); // { host: "127.0.0.1", port: 80 }
 * ```
 *
 * @param host a host name or numeric address, or `null` (with
 *   `AI_PASSIVE` the wildcard address, else loopback)
 * @param port a port number, a service name or number as text, or `null`
 * @param family `AF_INET`, `AF_INET6` or 0 (any)
 * @param type `SOCK_STREAM`, `SOCK_DGRAM`, ... or 0 (any)
 * @param proto a protocol number or 0 (any)
 * @param flags `AI_*` flags
 * @returns one {@link AddrInfo} per result, in the C library's order
 * @throws {TypeError} when an argument has the wrong type
 * @throws {RangeError} for a number outside a C `int` (or `long` for the
 *   port), a NUL character, or a host name IDNA rejects
 * @throws {OSError} for a port that is neither number, string nor null
 *   ("Int or String expected", as CPython), or `EAI_SYSTEM`'s errno
 * @throws {GaiError} when the lookup fails (`EAI_NONAME`, `EAI_SERVICE`, ...)
 */
export function getaddrinfo(
  host: string | null,
  port: string | number | null,
  family = 0,
  type = 0,
  proto = 0,
  flags = 0,
): Promise<AddrInfo[]> {
  return runAsync(gaiFlow(host, port, family, type, proto, flags));
}

/**
 * Like {@link getaddrinfo}, blocking the calling thread until the C
 * library answers, as Python's `socket.getaddrinfo`.
 *
 * @example
 * ```ts
 * import { getaddrinfoSync, SOCK_STREAM } from "@sockets/socket";
 * for (const ai of getaddrinfoSync("localhost", "http", 0, SOCK_STREAM)) {
 *   console.log(ai.family, ai.address); // 2 { host: "127.0.0.1", port: 80 }
 * }
 * ```
 *
 * @param host a host name or numeric address, or `null`
 * @param port a port number, a service name or number as text, or `null`
 * @param family `AF_INET`, `AF_INET6` or 0 (any)
 * @param type `SOCK_STREAM`, `SOCK_DGRAM`, ... or 0 (any)
 * @param proto a protocol number or 0 (any)
 * @param flags `AI_*` flags
 * @returns one {@link AddrInfo} per result, in the C library's order
 * @throws {TypeError} when an argument has the wrong type
 * @throws {RangeError} for a number out of range, a NUL character, or a
 *   host name IDNA rejects
 * @throws {OSError} for a port of another type, or `EAI_SYSTEM`'s errno
 * @throws {GaiError} when the lookup fails
 */
export function getaddrinfoSync(
  host: string | null,
  port: string | number | null,
  family = 0,
  type = 0,
  proto = 0,
  flags = 0,
): AddrInfo[] {
  return runSync(gaiFlow(host, port, family, type, proto, flags));
}

// ------------------------------------------------------------ getnameinfo

function* nameInfoFlow(
  address: unknown,
  flags: unknown,
): Flow<[string, string]> {
  if (
    typeof address !== "object" || address === null || Array.isArray(address)
  ) {
    throw new TypeError(
      `getnameinfo() address must be { host, port, flowinfo?, scopeId? }, not ${
        typeName(address)
      }`,
    );
  }
  const a = address as Record<string, unknown>;
  const host = str(a.host, "getnameinfo() host");
  const port = cint(a.port, "getnameinfo() port");
  let flowinfo: number | undefined;
  if (a.flowinfo !== undefined) {
    if (typeof a.flowinfo !== "number" || !Number.isInteger(a.flowinfo)) {
      throw new TypeError(
        `getnameinfo() flowinfo must be an integer, not ${
          typeName(a.flowinfo)
        }`,
      );
    }
    if (a.flowinfo < 0 || a.flowinfo > 0xfffff) {
      throw new RangeError("getnameinfo(): flowinfo must be 0-1048575.");
    }
    flowinfo = a.flowinfo;
  }
  const scopeId = a.scopeId === undefined
    ? undefined
    : uint(a.scopeId, "getnameinfo() scopeId", 0xffffffff);
  const f = cint(flags, "flags");
  // The host must be numeric, so this never waits: it runs here.
  const found = blocking.getaddrinfo(
    cArg(host, "getnameinfo() host"),
    cstring(String(port)),
    hints(AF_UNSPEC, SOCK_DGRAM, 0, AI_NUMERICHOST),
  );
  if (found.code !== 0) {
    throw gaiError(found.code, "getaddrinfo", found.errno);
  }
  if (found.list.length !== 1) {
    throw new OSError(
      EINVAL,
      "sockaddr resolved to multiple addresses",
      "getnameinfo",
    );
  }
  const { family, addr } = found.list[0];
  const sa = addr.slice();
  const v = new DataView(sa.buffer);
  if (family === AF_INET) {
    if (flowinfo !== undefined || scopeId !== undefined) {
      throw new OSError(EINVAL, "IPv4 sockaddr must be 2 tuple", "getnameinfo");
    }
  } else if (family === AF_INET6) {
    v.setUint32(IN6.sin6_flowinfo, flowinfo ?? 0, false);
    if (scopeId !== undefined) v.setUint32(IN6.sin6_scope_id, scopeId, LE);
  }
  const out = yield* callNameInfo(sa, f);
  if (out.code !== 0) throw gaiError(out.code, "getnameinfo", out.errno);
  return [out.host, out.serv];
}

/**
 * Translates a socket address into a host and a service
 * (`getnameinfo(3)`), without blocking the JavaScript thread.
 *
 * `host` must be numeric (as in CPython, it is read with
 * `AI_NUMERICHOST`). With `NI_NUMERICHOST`/`NI_NUMERICSERV` nothing is
 * looked up; otherwise the names come from the C library's sources
 * (`/etc/hosts`, DNS, `/etc/services`). A scoped IPv6 address comes back
 * as `"addr%ifname"`. The scope is `scopeId`, or when that is absent the
 * `%scope` of `host` (CPython would drop the latter).
 *
 * @example
 * ```ts
 * import { getnameinfo, NI_NUMERICHOST, NI_NUMERICSERV } from "@sockets/socket";
 * const flags = NI_NUMERICHOST! | NI_NUMERICSERV!;
 * console.log(await getnameinfo({ host: "127.0.0.1", port: 80 }, flags)); // ["127.0.0.1", "80"]
 * ```
 *
 * @param address `{ host, port, flowinfo?, scopeId? }`; `flowinfo` and
 *   `scopeId` only for IPv6
 * @param flags `NI_*` flags
 * @returns `[host, service]`
 * @throws {TypeError} when `address` is not such an object or a field has
 *   the wrong type
 * @throws {RangeError} for a port outside a C `int`, `flowinfo` outside
 *   0-1048575 or `scopeId` outside 0-4294967295
 * @throws {OSError} when an IPv4 address carries `flowinfo`/`scopeId`
 *   ("IPv4 sockaddr must be 2 tuple"), or `EAI_SYSTEM`'s errno
 * @throws {GaiError} when `host` is not numeric or the lookup fails
 */
export function getnameinfo(
  address: NameInfoAddress,
  flags: number,
): Promise<[host: string, port: string]> {
  return runAsync(nameInfoFlow(address, flags));
}

/**
 * Like {@link getnameinfo}, blocking the calling thread.
 *
 * @example
 * ```ts
 * import { getnameinfoSync, NI_NUMERICHOST, NI_NUMERICSERV } from "@sockets/socket";
 * const flags = NI_NUMERICHOST! | NI_NUMERICSERV!;
 * console.log(getnameinfoSync({ host: "::1", port: 22 }, flags)); // ["::1", "22"]
 * ```
 *
 * @param address `{ host, port, flowinfo?, scopeId? }`
 * @param flags `NI_*` flags
 * @returns `[host, service]`
 * @throws {TypeError} when `address` has the wrong shape
 * @throws {RangeError} for a number out of range
 * @throws {OSError} for an IPv4 address with IPv6 fields
 * @throws {GaiError} when `host` is not numeric or the lookup fails
 */
export function getnameinfoSync(
  address: NameInfoAddress,
  flags: number,
): [host: string, port: string] {
  return runSync(nameInfoFlow(address, flags));
}

// --------------------------------------------------------- gethostby*

interface IpAddr {
  family: number;
  bytes: Uint8Array;
}

/** The address bytes of a getaddrinfo result's sockaddr. */
function ipOf(family: number, sa: Uint8Array): IpAddr {
  if (family === AF_INET) {
    return { family, bytes: sa.slice(IN.sin_addr, IN.sin_addr + 4) };
  }
  if (family === AF_INET6) {
    return { family, bytes: sa.slice(IN6.sin6_addr, IN6.sin6_addr + 16) };
  }
  throw new OSError(EAFNOSUPPORT, "unknown address family");
}

/**
 * CPython's `setipaddr`: `""` is the wildcard, `"<broadcast>"` and
 * `"255.255.255.255"` the broadcast address, a numeric address is parsed
 * here, anything else is resolved (first result).
 */
function* setipaddr(name: string, nameC: Uint8Array, af: number): Flow<IpAddr> {
  if (name === "") {
    const out = yield* callGai(
      null,
      cstring("0"),
      hints(af, SOCK_DGRAM, 0, AI_PASSIVE),
    );
    if (out.code !== 0) throw gaiError(out.code, "getaddrinfo", out.errno);
    if (out.list.length > 1) {
      throw new OSError(EINVAL, "wildcard resolved to multiple address");
    }
    return ipOf(out.list[0].family, out.list[0].addr);
  }
  if (name === "<broadcast>" || name === "255.255.255.255") {
    if (af !== AF_INET && af !== AF_UNSPEC) {
      throw new OSError(EAFNOSUPPORT, "address family mismatched");
    }
    return { family: AF_INET, bytes: new Uint8Array([255, 255, 255, 255]) };
  }
  if (af === AF_INET || af === AF_UNSPEC) {
    const b = parseIPv4(name);
    if (b !== null) return { family: AF_INET, bytes: b };
  }
  if ((af === AF_INET6 || af === AF_UNSPEC) && !name.includes("%")) {
    const b = parseIPv6(name);
    if (b !== null) return { family: AF_INET6, bytes: b };
  }
  const out = yield* callGai(nameC, null, hints(af, 0, 0, 0));
  if (out.code !== 0) throw gaiError(out.code, "getaddrinfo", out.errno);
  return ipOf(out.list[0].family, out.list[0].addr);
}

/** CPython's `gethost_common`: the entry, or HError/OSError. */
function hostCommon(out: HostOutcome, af: number, syscall: string): HostEntry {
  const h = out.host;
  if (h === null) {
    throw new HError(out.herrno, hostErrorText(out.herrno), syscall);
  }
  if (h.addrtype !== af) throw errnoError(EAFNOSUPPORT, syscall);
  const need = af === AF_INET ? 4 : 16;
  const fmt = af === AF_INET ? formatIPv4 : formatIPv6;
  return {
    hostname: h.name,
    aliases: h.aliases,
    addresses: h.addrs.filter((b) => b.byteLength >= need).map((b) => fmt(b)),
  };
}

function* hostByNameFlow(name: unknown): Flow<string> {
  const [n, c] = hostArg(name, "gethostbyname() name");
  return formatIPv4((yield* setipaddr(n, c, AF_INET)).bytes);
}

function* hostByNameExFlow(name: unknown): Flow<HostEntry> {
  const [n, c] = hostArg(name, "gethostbynameEx() name");
  const ip = yield* setipaddr(n, c, AF_INET);
  return hostCommon(yield* callHostByName(c), ip.family, "gethostbyname_r");
}

function* hostByAddrFlow(ip: unknown): Flow<HostEntry> {
  const [n, c] = hostArg(ip, "gethostbyaddr() ip");
  const a = yield* setipaddr(n, c, AF_UNSPEC);
  return hostCommon(
    yield* callHostByAddr(a.bytes, a.family),
    a.family,
    "gethostbyaddr_r",
  );
}

/**
 * The IPv4 address of a host name, as text (Python's
 * `socket.gethostbyname`), without blocking the JavaScript thread. A
 * numeric address is returned as is (no lookup); `""` is `"0.0.0.0"` and
 * `"<broadcast>"` is `"255.255.255.255"`.
 *
 * @example
 * ```ts
 * import { gethostbyname } from "@sockets/socket";
 * console.log(await gethostbyname("localhost")); // "127.0.0.1"
 * ```
 *
 * @param name a host name or dotted quad
 * @returns the first IPv4 address
 * @throws {TypeError} when `name` is not a string or holds a NUL character
 * @throws {RangeError} for a name IDNA rejects (an empty or long label)
 * @throws {GaiError} when the name does not resolve to an IPv4 address
 */
export function gethostbyname(name: string): Promise<string> {
  return runAsync(hostByNameFlow(name));
}

/**
 * Like {@link gethostbyname}, blocking the calling thread.
 *
 * @example
 * ```ts
 * import { gethostbynameSync } from "@sockets/socket";
 * console.log(gethostbynameSync("127.0.0.1")); // "127.0.0.1"
 * ```
 *
 * @param name a host name or dotted quad
 * @returns the first IPv4 address
 * @throws {TypeError} when `name` is not a string or holds a NUL character
 * @throws {RangeError} for a name IDNA rejects (an empty or long label)
 * @throws {GaiError} when the name does not resolve to an IPv4 address
 */
export function gethostbynameSync(name: string): string {
  return runSync(hostByNameFlow(name));
}

/**
 * The primary name, aliases and IPv4 addresses of a host (Python's
 * `socket.gethostbyname_ex`, through `gethostbyname_r(3)`), without
 * blocking the JavaScript thread.
 *
 * @example
 * ```ts
 * import { gethostbynameEx } from "@sockets/socket";
 * console.log(await gethostbynameEx("localhost"));
 * // { hostname: "localhost", aliases: [], addresses: ["127.0.0.1"] }
 * ```
 *
 * @param name a host name or dotted quad
 * @returns `{ hostname, aliases, addresses }`
 * @throws {TypeError} when `name` is not a string or holds a NUL character
 * @throws {RangeError} for a name IDNA rejects (an empty or long label)
 * @throws {GaiError} when the name does not resolve
 * @throws {HError} when `gethostbyname_r` finds nothing (`errno` is
 *   `h_errno`)
 */
export function gethostbynameEx(name: string): Promise<HostEntry> {
  return runAsync(hostByNameExFlow(name));
}

/**
 * Like {@link gethostbynameEx}, blocking the calling thread.
 *
 * @example
 * ```ts
 * import { gethostbynameExSync } from "@sockets/socket";
 * console.log(gethostbynameExSync("127.0.0.1").addresses); // ["127.0.0.1"]
 * ```
 *
 * @param name a host name or dotted quad
 * @returns `{ hostname, aliases, addresses }`
 * @throws {TypeError} when `name` is not a string or holds a NUL character
 * @throws {RangeError} for a name IDNA rejects (an empty or long label)
 * @throws {GaiError} when the name does not resolve
 * @throws {HError} when `gethostbyname_r` finds nothing
 */
export function gethostbynameExSync(name: string): HostEntry {
  return runSync(hostByNameExFlow(name));
}

/**
 * The names of the host with address `ip` (Python's
 * `socket.gethostbyaddr`, a reverse lookup through `gethostbyaddr_r(3)`),
 * without blocking the JavaScript thread. A host name is resolved first
 * and its first address looked up.
 *
 * `HError.errno` is the lookup's own `h_errno` (CPython reads the global
 * `h_errno`, which the reentrant call leaves alone, so it can say 0 where
 * this says 1, `HOST_NOT_FOUND`).
 *
 * @example
 * ```ts
 * import { gethostbyaddr } from "@sockets/socket";
 * console.log((await gethostbyaddr("127.0.0.1")).hostname); // "localhost"
 * ```
 *
 * @param ip an IPv4 or IPv6 address, or a host name
 * @returns `{ hostname, aliases, addresses }`
 * @throws {TypeError} when `ip` is not a string or holds a NUL character
 * @throws {RangeError} for a name IDNA rejects (an empty or long label)
 * @throws {GaiError} when `ip` is malformed (e.g. `"::1q"`) or does not
 *   resolve
 * @throws {HError} when the address has no name
 */
export function gethostbyaddr(ip: string): Promise<HostEntry> {
  return runAsync(hostByAddrFlow(ip));
}

/**
 * Like {@link gethostbyaddr}, blocking the calling thread.
 *
 * @example
 * ```ts
 * import { gethostbyaddrSync } from "@sockets/socket";
 * console.log(gethostbyaddrSync("127.0.0.1").addresses); // ["127.0.0.1"]
 * ```
 *
 * @param ip an IPv4 or IPv6 address, or a host name
 * @returns `{ hostname, aliases, addresses }`
 * @throws {TypeError} when `ip` is not a string or holds a NUL character
 * @throws {RangeError} for a name IDNA rejects (an empty or long label)
 * @throws {GaiError} when `ip` is malformed or does not resolve
 * @throws {HError} when the address has no name
 */
export function gethostbyaddrSync(ip: string): HostEntry {
  return runSync(hostByAddrFlow(ip));
}

function* fqdnFlow(name: unknown): Flow<string> {
  let n = str(name, "getfqdn() name").replace(PY_STRIP, "");
  if (n === "" || n === "0.0.0.0" || n === "::") n = hostName();
  let entry: HostEntry;
  try {
    entry = yield* hostByAddrFlow(n);
  } catch (e) {
    if (e instanceof OSError) return n;
    throw e;
  }
  return [entry.hostname, ...entry.aliases].find((a) => a.includes(".")) ??
    entry.hostname;
}

/**
 * A fully qualified domain name for `name` (Python's `socket.getfqdn`),
 * without blocking the JavaScript thread: the first name containing a dot
 * among the host name and aliases of `gethostbyaddr(name)`, else the host
 * name; `name` itself when the lookup fails. An empty `name` (or
 * `"0.0.0.0"`, `"::"`) means this host ({@link gethostname}).
 *
 * @example
 * ```ts
 * import { getfqdn } from "@sockets/socket";
 * console.log(await getfqdn("localhost")); // "localhost"
 * ```
 *
 * @param name a host name or address; surrounding white space is ignored
 * @returns the fully qualified name, or the best name found
 * @throws {TypeError} when `name` is not a string or holds a NUL character
 * @throws {RangeError} for a name IDNA rejects (an empty or long label)
 */
export function getfqdn(name = ""): Promise<string> {
  return runAsync(fqdnFlow(name));
}

/**
 * Like {@link getfqdn}, blocking the calling thread.
 *
 * @example
 * ```ts
 * import { getfqdnSync } from "@sockets/socket";
 * console.log(getfqdnSync("127.0.0.1")); // "localhost"
 * ```
 *
 * @param name a host name or address
 * @returns the fully qualified name, or the best name found
 * @throws {TypeError} when `name` is not a string or holds a NUL character
 * @throws {RangeError} for a name IDNA rejects (an empty or long label)
 */
export function getfqdnSync(name = ""): string {
  return runSync(fqdnFlow(name));
}

// ------------------------------------------------------ local lookups

/**
 * This host's name (`gethostname(2)`).
 *
 * @example
 * ```ts
 * import { gethostname } from "@sockets/socket";
 * console.log(gethostname()); // e.g. "myhost"
 * ```
 *
 * @returns the host name
 * @throws {OSError} when the call fails
 */
export function gethostname(): string {
  return hostName();
}

/**
 * Sets this host's name (`sethostname(2)`; needs privilege).
 *
 * @example
 * ```ts ignore
 * import { sethostname } from "@sockets/socket";
 * sethostname("myhost"); // PermissionError without CAP_SYS_ADMIN
 * ```
 *
 * @param name the new name
 * @throws {TypeError} when `name` is not a string
 * @throws {RangeError} for a NUL character
 * @throws {PermissionError} without the privilege
 * @throws {OSError} when the system refuses it (`EINVAL` for a name that
 *   is too long)
 */
export function sethostname(name: string): void {
  setHostName(cArg(str(name, "sethostname() name"), "sethostname() name"));
}

/**
 * The number of a protocol by name (`getprotobyname(3)`, from
 * `/etc/protocols`).
 *
 * @example
 * ```ts
 * import { getprotobyname } from "@sockets/socket";
 * console.log(getprotobyname("tcp")); // 6
 * ```
 *
 * @param name a protocol name such as `"udp"`
 * @returns the protocol number
 * @throws {TypeError} when `name` is not a string
 * @throws {RangeError} for a NUL character
 * @throws {OSError} "protocol not found" (`ENOENT`) when there is none
 */
export function getprotobyname(name: string): number {
  const p = protoByName(
    cArg(str(name, "getprotobyname() name"), "getprotobyname() name"),
  );
  if (p === null) {
    throw new OSError(ENOENT, "protocol not found", "getprotobyname");
  }
  return p;
}

function protoArg(proto: unknown, what: string): Uint8Array | null {
  if (proto === undefined || proto === null) return null;
  return cArg(str(proto, what), what);
}

/**
 * The port of a service by name (`getservbyname(3)`, from
 * `/etc/services`).
 *
 * @example
 * ```ts
 * import { getservbyname } from "@sockets/socket";
 * console.log(getservbyname("http", "tcp")); // 80
 * ```
 *
 * @param name a service name such as `"ssh"`
 * @param proto `"tcp"`, `"udp"`, ...; any when absent
 * @returns the port number
 * @throws {TypeError} when an argument is not a string
 * @throws {RangeError} for a NUL character
 * @throws {OSError} "service/proto not found" (`ENOENT`) when there is none
 */
export function getservbyname(name: string, proto?: string): number {
  const s = servByName(
    cArg(str(name, "getservbyname() name"), "getservbyname() name"),
    protoArg(proto, "getservbyname() proto"),
  );
  if (s === null) {
    throw new OSError(ENOENT, "service/proto not found", "getservbyname");
  }
  return s.port;
}

/**
 * The name of a service by port (`getservbyport(3)`, from `/etc/services`).
 *
 * @example
 * ```ts
 * import { getservbyport } from "@sockets/socket";
 * console.log(getservbyport(22)); // "ssh"
 * ```
 *
 * @param port 0-65535
 * @param proto `"tcp"`, `"udp"`, ...; any when absent
 * @returns the service name
 * @throws {TypeError} when `port` is not an integer or `proto` not a string
 * @throws {RangeError} when `port` is outside 0-65535, or for a NUL
 *   character
 * @throws {OSError} "port/proto not found" (`ENOENT`) when there is none
 */
export function getservbyport(port: number, proto?: string): string {
  const p = cint(port, "getservbyport() port");
  if (p < 0 || p > 0xffff) {
    throw new RangeError("getservbyport: port must be 0-65535.");
  }
  const s = servByPort(p, protoArg(proto, "getservbyport() proto"));
  if (s === null) {
    throw new OSError(ENOENT, "port/proto not found", "getservbyport");
  }
  return s.name;
}

/**
 * The network interfaces (`if_nameindex(3)`).
 *
 * @example
 * ```ts
 * import { ifNameindex } from "@sockets/socket";
 * console.log(ifNameindex()); // e.g. [[1, "lo"], [2, "eth0"]]
 * ```
 *
 * @returns `[index, name]` pairs
 * @throws {OSError} when the call fails
 */
export function ifNameindex(): [index: number, name: string][] {
  return nameIndex();
}

/**
 * The index of a network interface (`if_nametoindex(3)`).
 *
 * @example
 * ```ts
 * import { ifNametoindex } from "@sockets/socket";
 * console.log(ifNametoindex("lo")); // 1 on Linux
 * ```
 *
 * @param name an interface name
 * @returns its index
 * @throws {TypeError} when `name` is not a string
 * @throws {RangeError} for a NUL character
 * @throws {OSError} "no interface with this name" (`ENODEV`)
 */
export function ifNametoindex(name: string): number {
  const n = str(name, "ifNametoindex() name");
  if (n.includes("\0")) throw new RangeError("embedded null byte");
  const index = nametoindex(n);
  if (index === 0) {
    throw new OSError(ENODEV, "no interface with this name", "if_nametoindex");
  }
  return index;
}

/**
 * The name of a network interface (`if_indextoname(3)`).
 *
 * @example
 * ```ts
 * import { ifIndextoname, ifNametoindex } from "@sockets/socket";
 * console.log(ifIndextoname(ifNametoindex("lo"))); // "lo"
 * ```
 *
 * @param index an interface index, 0-4294967295
 * @returns its name
 * @throws {TypeError} when `index` is not an integer
 * @throws {RangeError} when `index` is negative or above 4294967295
 * @throws {OSError} with errno `ENXIO` when no interface has that index
 *   (including 0)
 */
export function ifIndextoname(index: number): string {
  if (typeof index !== "number" || !Number.isInteger(index)) {
    throw new TypeError(
      `ifIndextoname() index must be an integer, not ${typeName(index)}`,
    );
  }
  if (index < 0) {
    throw new RangeError("can't convert negative value to unsigned int");
  }
  if (index > 0xffffffff) throw new RangeError("index is too large");
  return indexToName(index);
}
