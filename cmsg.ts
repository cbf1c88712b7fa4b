/**
 * Control messages (ancillary data): {@link CMSG_LEN} and
 * {@link CMSG_SPACE}, the clamping parser and the builder behind
 * `recvmsg`/`sendmsg`, and the typed codecs of the {@link cmsg} namespace
 * (`cmsg.rights(fds)`, `cmsg.decodeCredentials(item)`, ...).
 *
 * Pure byte codecs: every offset comes from the platform's struct layouts
 * in `constants/`, and nothing here calls into C.
 *
 * @module
 */
import { bytesArg, typeName } from "./_args.ts";
import { C, errnoCodes, layout } from "./constants/mod.ts";
import { OSError } from "./errors.ts";
import {
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
} from "./families/mod.ts";

/**
 * One control message (ancillary data item), Python's
 * `(cmsg_level, cmsg_type, cmsg_data)`.
 */
export interface AncData {
  /** `cmsg_level`: `SOL_SOCKET`, `IPPROTO_IP`, `IPPROTO_IPV6`, ... */
  level: number;
  /** `cmsg_type`: `SCM_RIGHTS`, `IP_PKTINFO`, ... */
  type: number;
  /** The item's data (`CMSG_DATA`), without header or padding. */
  data: Uint8Array;
}

const LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const H = layout.cmsghdr;
/** What `CMSG_ALIGN` rounds to. */
const ALIGN = H.align;
/** Width of `cmsg_len`: `size_t` on glibc, `socklen_t` (+ padding) elsewhere. */
const LEN_WIDTH = H.cmsg_level > H.cmsg_len
  ? Math.min(H.cmsg_level - H.cmsg_len, 8)
  : layout.sizes.size_t;
/** Python's `SOCKLEN_T_LIMIT`: the largest control length accepted. */
const SOCKLEN_T_LIMIT = 0x7fffffff;

function alignUp(n: number): number {
  const r = n % ALIGN;
  return r === 0 ? n : n + (ALIGN - r);
}

/** `CMSG_LEN(0)`: where an item's data starts. */
const HDR = alignUp(H.size);
/** The largest argument `CMSG_LEN` accepts (CPython's bound). */
const MAX_LEN_ARG = SOCKLEN_T_LIMIT - HDR;
/** The largest argument `CMSG_SPACE` accepts (CPython's bound). */
const MAX_SPACE_ARG = SOCKLEN_T_LIMIT - (HDR + alignUp(1));

const EOPNOTSUPP = errnoCodes.EOPNOTSUPP ?? errnoCodes.ENOTSUP ?? 95;
const EMSGSIZE = errnoCodes.EMSGSIZE ?? 90;

function lengthArg(n: unknown, fn: string, max: number): number {
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new TypeError(
      `${fn}() argument must be an integer, not ${typeName(n)}`,
    );
  }
  if (n < 0 || n > max) {
    throw new RangeError(`${fn}() argument out of range (${n})`);
  }
  return n;
}

/**
 * The `cmsg_len` of a control message carrying `n` bytes of data
 * (`CMSG_LEN(3)`): header plus data, without trailing padding. As in
 * Python, `CMSG_LEN(4 * k)` sized `ancbufsize` receives exactly `k`
 * descriptors.
 *
 * @param n the data length in bytes
 * @returns `CMSG_LEN(n)`
 * @throws {TypeError} when `n` is not an integer
 * @throws {RangeError} when `n` is negative or the result would not fit a
 *   `socklen_t` (Python's `OverflowError`)
 * @example
 * ```ts
 * import { CMSG_LEN } from "@sockets/socket";
 * console.log(CMSG_LEN(4)); // 20 on 64-bit Linux
 * ```
 */
export function CMSG_LEN(n: number): number {
  return HDR + lengthArg(n, "CMSG_LEN", MAX_LEN_ARG);
}

/**
 * The buffer space a control message carrying `n` bytes of data occupies,
 * trailing padding included (`CMSG_SPACE(3)`). Sum it over the items you
 * expect to size `ancbufsize`.
 *
 * @param n the data length in bytes
 * @returns `CMSG_SPACE(n)`
 * @throws {TypeError} when `n` is not an integer
 * @throws {RangeError} when `n` is negative or the result would not fit a
 *   `socklen_t` (Python's `OverflowError`)
 * @example
 * ```ts
 * import { CMSG_SPACE } from "@sockets/socket";
 * console.log(CMSG_SPACE(4)); // 24 on 64-bit Linux
 * ```
 */
export function CMSG_SPACE(n: number): number {
  return HDR + alignUp(lengthArg(n, "CMSG_SPACE", MAX_SPACE_ARG));
}

function readLen(v: DataView, at: number): number {
  if (LEN_WIDTH === 8) {
    const lo = v.getUint32(at + (LE ? 0 : 4), LE);
    const hi = v.getUint32(at + (LE ? 4 : 0), LE);
    return hi * 0x1_0000_0000 + lo;
  }
  return v.getUint32(at, LE);
}

function writeLen(v: DataView, at: number, n: number): void {
  if (LEN_WIDTH === 8) {
    v.setUint32(at + (LE ? 0 : 4), n >>> 0, LE);
    v.setUint32(at + (LE ? 4 : 0), Math.floor(n / 0x1_0000_0000), LE);
  } else {
    v.setUint32(at, n, LE);
  }
}

/**
 * Walks a control buffer the kernel filled, as CPython's `recvmsg` does
 * with glibc's `CMSG_FIRSTHDR`/`CMSG_NXTHDR` and `get_cmsg_data_len`, but
 * never trusting a length: an item whose header does not fit, or whose
 * `cmsg_len` is smaller than a header, ends the walk; an item whose data
 * runs past the end is returned truncated to the buffer and ends the
 * walk. Never reads outside `control`, never throws.
 *
 * @param control the control bytes, already clamped to `msg_controllen`
 * @returns the items, each with a copy of its data
 */
export function decodeControl(control: Uint8Array): AncData[] {
  const items: AncData[] = [];
  const end = control.byteLength;
  if (end < H.size) return items;
  const v = new DataView(control.buffer, control.byteOffset, end);
  let at = 0;
  while (at + H.size <= end) {
    const len = readLen(v, at + H.cmsg_len);
    if (at + HDR > end || len < HDR) break;
    const space = end - (at + HDR);
    const want = len - HDR;
    const truncated = want > space;
    const n = truncated ? space : want;
    items.push({
      level: v.getInt32(at + H.cmsg_level, LE),
      type: v.getInt32(at + H.cmsg_type, LE),
      data: control.slice(at + HDR, at + HDR + n),
    });
    if (truncated) break;
    at += alignUp(len);
  }
  return items;
}

/**
 * Every descriptor in the `SCM_RIGHTS` items of a kernel-filled control
 * buffer (complete `int`s only). Never throws.
 *
 * @param control the control bytes, already clamped to `msg_controllen`
 * @returns the descriptors, in order
 */
export function rightsIn(control: Uint8Array): number[] {
  const fds: number[] = [];
  for (const item of decodeControl(control)) {
    if (item.level === SOL_SOCKET && item.type === SCM_RIGHTS) {
      fds.push(...ints(item.data));
    }
  }
  return fds;
}

function ints(b: Uint8Array): number[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let at = 0; at + 4 <= b.byteLength; at += 4) {
    out.push(v.getInt32(at, LE));
  }
  return out;
}

function int32(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(x)}`);
  }
  if (x < -0x8000_0000 || x > 0x7fff_ffff) {
    throw new RangeError(`${what} is out of range for a C int (${x})`);
  }
  return x + 0;
}

function uint32(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(x)}`);
  }
  if (x < 0 || x > 0xffff_ffff) {
    throw new RangeError(`${what} must be 0-4294967295, got ${x}`);
  }
  return x + 0;
}

function iterableOf(x: unknown, what: string): Iterable<unknown> {
  if (
    x === null || x === undefined || typeof x === "string" ||
    typeof (x as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(`${what} must be an iterable, not ${typeName(x)}`);
  }
  return x as Iterable<unknown>;
}

/**
 * Checks `sendmsg`'s ancillary data argument: an iterable of
 * `{ level, type, data }` objects (or `[level, type, data]` triples, as
 * Python's tuples).
 *
 * @param x the argument
 * @param what the argument's name for messages
 * @returns the items, with `data` as Uint8Array
 * @throws {TypeError} for a non-iterable or a malformed item
 * @throws {RangeError} for a level or type outside a C `int`
 */
export function ancdataArg(x: unknown, what = "ancdata"): AncData[] {
  const out: AncData[] = [];
  for (const item of iterableOf(x, what)) {
    let level: unknown, type: unknown, data: unknown;
    if (Array.isArray(item)) {
      if (item.length !== 3) {
        throw new TypeError(
          `${what} items must be [level, type, data], got ${item.length} elements`,
        );
      }
      [level, type, data] = item;
    } else if (typeof item === "object" && item !== null) {
      ({ level, type, data } = item as Record<string, unknown>);
    } else {
      throw new TypeError(
        `${what} items must be { level, type, data } objects, not ${
          typeName(item)
        }`,
      );
    }
    out.push({
      level: int32(level, `${what} item level`),
      type: int32(type, `${what} item type`),
      data: bytesArg(data, `${what} item data`),
    });
  }
  return out;
}

/**
 * Builds a control buffer for `sendmsg`: each item at a `CMSG_SPACE`
 * boundary with `cmsg_len = CMSG_LEN(data length)`, padding zeroed. The
 * buffer is off the JavaScript heap, so its address is stable.
 *
 * @param items checked items (see {@link ancdataArg})
 * @returns the buffer, or `null` for no items
 * @throws {OSError} when an item or the total exceeds a `socklen_t`
 *   (Python's "ancillary data item too large" / "too much ancillary data")
 */
export function encodeControl(items: readonly AncData[]): Uint8Array | null {
  if (items.length === 0) return null;
  let total = 0;
  for (const it of items) {
    if (it.data.byteLength > MAX_SPACE_ARG) {
      throw new OSError(EMSGSIZE, "ancillary data item too large", "sendmsg");
    }
    total += HDR + alignUp(it.data.byteLength);
    if (total > SOCKLEN_T_LIMIT) {
      throw new OSError(EMSGSIZE, "too much ancillary data", "sendmsg");
    }
  }
  const out = new Uint8Array(new ArrayBuffer(total));
  const v = new DataView(out.buffer);
  let at = 0;
  for (const it of items) {
    writeLen(v, at + H.cmsg_len, HDR + it.data.byteLength);
    v.setInt32(at + H.cmsg_level, it.level, LE);
    v.setInt32(at + H.cmsg_type, it.type, LE);
    out.set(it.data, at + HDR);
    at += HDR + alignUp(it.data.byteLength);
  }
  return out;
}

// ---- typed codecs -------------------------------------------------------

function constant(name: string): number {
  const v = C[name];
  if (v === undefined) {
    throw new OSError(
      EOPNOTSUPP,
      `${name} is not available on this platform`,
    );
  }
  return v;
}

const SOL_SOCKET = constant("SOL_SOCKET");
const SCM_RIGHTS = constant("SCM_RIGHTS");

function expect(
  item: unknown,
  what: string,
  kinds: readonly (readonly [string, string])[],
): AncData {
  if (typeof item !== "object" || item === null) {
    throw new TypeError(`${what} needs an AncData item, not ${typeName(item)}`);
  }
  const { level, type, data } = item as Record<string, unknown>;
  const d = bytesArg(data, `${what} item data`);
  for (const [l, t] of kinds) {
    if (level === C[l] && type === C[t] && C[l] !== undefined) {
      return { level: level as number, type: type as number, data: d };
    }
  }
  throw new TypeError(
    `${what} needs ${
      kinds.map(([l, t]) => `a ${l}/${t}`).join(" or ")
    } item, got level ${String(level)} type ${String(type)}`,
  );
}

function need(item: AncData, bytes: number, what: string): DataView {
  if (item.data.byteLength < bytes) {
    throw new RangeError(
      `${what}: the item holds ${item.data.byteLength} bytes, ${bytes} needed (truncated?)`,
    );
  }
  return new DataView(item.data.buffer, item.data.byteOffset, bytes);
}

function intItem(level: string, type: string, value: number): AncData {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, value, LE);
  return { level: constant(level), type: constant(type), data };
}

function ipv4(s: unknown, what: string): Uint8Array {
  if (typeof s !== "string") {
    throw new TypeError(`${what} must be a string, not ${typeName(s)}`);
  }
  const b = parseIPv4(s);
  if (b === null) throw new RangeError(`${what}: not an IPv4 address: ${s}`);
  return b;
}

function ipv6(s: unknown, what: string): Uint8Array {
  if (typeof s !== "string") {
    throw new TypeError(`${what} must be a string, not ${typeName(s)}`);
  }
  const b = parseIPv6(s);
  if (b === null) throw new RangeError(`${what}: not an IPv6 address: ${s}`);
  return b;
}

/** Credentials as `SCM_CREDENTIALS` carries them (`struct ucred`). */
export interface Credentials {
  /** Process id. */
  pid: number;
  /** User id. */
  uid: number;
  /** Group id. */
  gid: number;
}

/** Packet information (`IP_PKTINFO`, `IPV6_PKTINFO`). */
export interface Pktinfo {
  /** Interface index (`ipi_ifindex`, `ipi6_ifindex`); 0 = any. */
  ifindex: number;
  /**
   * The address: received, the packet's destination (`ipi_addr`,
   * `ipi6_addr`); sent over IPv6, the source address to use.
   */
  addr: string;
  /**
   * IPv4 only (`ipi_spec_dst`): received, the local address the packet
   * was accepted on; sent, the source address to use.
   */
  specDst?: string;
}

/** A kernel timestamp (`SO_TIMESTAMP`, `SO_TIMESTAMPNS`). */
export interface Timestamp {
  /** Seconds since the epoch. */
  sec: number;
  /** Nanoseconds within the second (microsecond precision for `SO_TIMESTAMP`). */
  nsec: number;
}

function readSigned(v: DataView, at: number, width: number): number {
  if (width === 8) {
    const lo = v.getUint32(at + (LE ? 0 : 4), LE);
    const hi = v.getInt32(at + (LE ? 4 : 0), LE);
    return hi * 0x1_0000_0000 + lo;
  }
  return v.getInt32(at, LE);
}

/** The typed codecs of {@link cmsg}. */
export interface CmsgCodecs {
  /**
   * An `SCM_RIGHTS` item passing descriptors (unix sockets).
   *
   * @param fds the descriptors, each a C `int`
   * @returns the item for `sendmsg`
   * @throws {TypeError|RangeError} for a non-integer or out-of-range fd
   */
  rights(fds: Iterable<number>): AncData;
  /**
   * The descriptors of an `SCM_RIGHTS` item (complete `int`s only). They
   * are open in this process and yours to close.
   *
   * @param item a received item
   * @returns the descriptors
   * @throws {TypeError} when `item` is not `SOL_SOCKET`/`SCM_RIGHTS`
   */
  decodeRights(item: AncData): number[];
  /**
   * An `SCM_CREDENTIALS` item (Linux). Unprivileged senders may only
   * state their own pid, uid and gid.
   *
   * @param creds the credentials
   * @returns the item for `sendmsg`
   * @throws {TypeError|RangeError} for malformed ids
   * @throws {OSError} `EOPNOTSUPP` where the platform has no `SCM_CREDENTIALS`
   */
  credentials(creds: Credentials): AncData;
  /**
   * Reads an `SCM_CREDENTIALS` item (receivers enable `SO_PASSCRED`).
   *
   * @param item a received item
   * @returns the sender's pid, uid and gid
   * @throws {TypeError} for an item of another kind
   * @throws {RangeError} for a truncated item
   */
  decodeCredentials(item: AncData): Credentials;
  /**
   * An `IPPROTO_IP`/`IP_PKTINFO` item: send from `specDst` and/or out of
   * interface `ifindex`.
   *
   * @param info `{ ifindex = 0, specDst = "0.0.0.0", addr = "0.0.0.0" }`
   * @returns the item for `sendmsg`
   * @throws {TypeError|RangeError} for malformed fields
   */
  pktinfo(info: Partial<Pktinfo>): AncData;
  /**
   * An `IPPROTO_IPV6`/`IPV6_PKTINFO` item: send from `addr` and/or out of
   * interface `ifindex`.
   *
   * @param info `{ ifindex = 0, addr = "::" }`
   * @returns the item for `sendmsg`
   * @throws {TypeError|RangeError} for malformed fields
   */
  pktinfo6(info: Partial<Pktinfo>): AncData;
  /**
   * Reads an `IP_PKTINFO` (enable with `IP_PKTINFO`) or `IPV6_PKTINFO`
   * (enable with `IPV6_RECVPKTINFO`) item.
   *
   * @param item a received item
   * @returns the interface index and addresses
   * @throws {TypeError} for an item of another kind
   * @throws {RangeError} for a truncated item
   */
  decodePktinfo(item: AncData): Pktinfo;
  /**
   * An `IPPROTO_IPV6`/`IPV6_HOPLIMIT` item: the hop limit for this packet.
   *
   * @param n 0-255, or -1 for the route default
   * @returns the item for `sendmsg`
   */
  hopLimit(n: number): AncData;
  /**
   * An `IPPROTO_IPV6`/`IPV6_TCLASS` item: the traffic class for this packet.
   *
   * @param n 0-255, or -1 for the socket's default
   * @returns the item for `sendmsg`
   */
  trafficClass(n: number): AncData;
  /**
   * An `IPPROTO_IP`/`IP_TOS` item: the type of service for this packet.
   *
   * @param n 0-255
   * @returns the item for `sendmsg`
   */
  tos(n: number): AncData;
  /**
   * An `IPPROTO_IP`/`IP_TTL` item: the time to live for this packet.
   *
   * @param n 1-255
   * @returns the item for `sendmsg`
   */
  ttl(n: number): AncData;
  /**
   * Reads an integer item: `IPV6_HOPLIMIT` (`IPV6_RECVHOPLIMIT`),
   * `IPV6_TCLASS` (`IPV6_RECVTCLASS`), `IP_TTL` (`IP_RECVTTL`) are C
   * `int`s; `IP_TOS` (`IP_RECVTOS`) is one byte.
   *
   * @param item a received item
   * @returns the value
   * @throws {TypeError} when `item` is not an AncData
   * @throws {RangeError} when the data is neither 1 nor at least 4 bytes
   */
  decodeInt(item: AncData): number;
  /**
   * Reads an `SCM_TIMESTAMP` (`SO_TIMESTAMP`, a `timeval`) or
   * `SCM_TIMESTAMPNS` (`SO_TIMESTAMPNS`, a `timespec`) item.
   *
   * @param item a received item
   * @returns seconds and nanoseconds
   * @throws {TypeError} for an item of another kind
   * @throws {RangeError} for a truncated item
   */
  decodeTimestamp(item: AncData): Timestamp;
  /**
   * Builds a raw control buffer (what `sendmsg` passes as `msg_control`).
   *
   * @param items the items
   * @returns the bytes (empty for no items)
   * @throws {TypeError|RangeError} for malformed items
   */
  encode(items: Iterable<AncData>): Uint8Array;
  /**
   * Parses a raw control buffer as `recvmsg` does, clamping every length
   * to the buffer: never reads outside it, never throws for malformed
   * input (a malformed item ends the list; a truncated one is returned as
   * far as it lies inside).
   *
   * @param control the bytes (`msg_control` up to `msg_controllen`)
   * @returns the items
   * @throws {TypeError} when `control` is not bytes
   */
  decode(control: Uint8Array): AncData[];
}

/**
 * Typed codecs for common control messages, built on the platform's
 * struct layouts: encoders return an {@link AncData} item for `sendmsg`,
 * decoders read items `recvmsg` returned.
 *
 * @example Passing a descriptor and reading it back
 * ```ts
 * import { cmsg, CMSG_SPACE, Socket, socketpair } from "@sockets/socket";
 * const [a, b] = socketpair();
 * a.sendmsgSync([new Uint8Array([1])], [cmsg.rights([a.fileno()])]);
 * const { ancdata } = b.recvmsgSync(1, CMSG_SPACE(4));
 * const [fd] = cmsg.decodeRights(ancdata[0]); // a new descriptor, yours to close
 * new Socket(undefined, undefined, undefined, fd).close();
 * a.close();
 * b.close();
 * ```
 */
export const cmsg: CmsgCodecs = {
  rights(fds: Iterable<number>): AncData {
    const list = [...iterableOf(fds, "fds")].map((fd) => int32(fd, "fd"));
    const data = new Uint8Array(list.length * 4);
    const v = new DataView(data.buffer);
    list.forEach((fd, i) => v.setInt32(i * 4, fd, LE));
    return { level: SOL_SOCKET, type: SCM_RIGHTS, data };
  },
  decodeRights(item: AncData): number[] {
    return ints(
      expect(item, "decodeRights", [["SOL_SOCKET", "SCM_RIGHTS"]]).data,
    );
  },
  credentials(creds: Credentials): AncData {
    if (typeof creds !== "object" || creds === null) {
      throw new TypeError(
        `credentials needs { pid, uid, gid }, not ${typeName(creds)}`,
      );
    }
    const U = layout.ucred;
    const data = new Uint8Array(U.size);
    const v = new DataView(data.buffer);
    v.setInt32(U.pid, int32(creds.pid, "pid"), LE);
    v.setUint32(U.uid, uint32(creds.uid, "uid"), LE);
    v.setUint32(U.gid, uint32(creds.gid, "gid"), LE);
    return {
      level: SOL_SOCKET,
      type: constant("SCM_CREDENTIALS"),
      data,
    };
  },
  decodeCredentials(item: AncData): Credentials {
    const it = expect(item, "decodeCredentials", [[
      "SOL_SOCKET",
      "SCM_CREDENTIALS",
    ]]);
    const U = layout.ucred;
    const v = need(it, U.size, "decodeCredentials");
    return {
      pid: v.getInt32(U.pid, LE),
      uid: v.getUint32(U.uid, LE),
      gid: v.getUint32(U.gid, LE),
    };
  },
  pktinfo(info: Partial<Pktinfo>): AncData {
    if (typeof info !== "object" || info === null) {
      throw new TypeError(`pktinfo needs an object, not ${typeName(info)}`);
    }
    const P = layout.in_pktinfo;
    const data = new Uint8Array(P.size);
    new DataView(data.buffer).setInt32(
      P.ipi_ifindex,
      int32(info.ifindex ?? 0, "ifindex"),
      LE,
    );
    data.set(ipv4(info.specDst ?? "0.0.0.0", "specDst"), P.ipi_spec_dst);
    data.set(ipv4(info.addr ?? "0.0.0.0", "addr"), P.ipi_addr);
    return {
      level: constant("IPPROTO_IP"),
      type: constant("IP_PKTINFO"),
      data,
    };
  },
  pktinfo6(info: Partial<Pktinfo>): AncData {
    if (typeof info !== "object" || info === null) {
      throw new TypeError(`pktinfo6 needs an object, not ${typeName(info)}`);
    }
    const P = layout.in6_pktinfo;
    const data = new Uint8Array(P.size);
    data.set(ipv6(info.addr ?? "::", "addr"), P.ipi6_addr);
    new DataView(data.buffer).setUint32(
      P.ipi6_ifindex,
      uint32(info.ifindex ?? 0, "ifindex"),
      LE,
    );
    return {
      level: constant("IPPROTO_IPV6"),
      type: constant("IPV6_PKTINFO"),
      data,
    };
  },
  decodePktinfo(item: AncData): Pktinfo {
    const it = expect(item, "decodePktinfo", [
      ["IPPROTO_IP", "IP_PKTINFO"],
      ["IPPROTO_IPV6", "IPV6_PKTINFO"],
    ]);
    if (it.level === C.IPPROTO_IP) {
      const P = layout.in_pktinfo;
      const v = need(it, P.size, "decodePktinfo");
      return {
        ifindex: v.getInt32(P.ipi_ifindex, LE),
        addr: formatIPv4(it.data, P.ipi_addr),
        specDst: formatIPv4(it.data, P.ipi_spec_dst),
      };
    }
    const P = layout.in6_pktinfo;
    const v = need(it, P.size, "decodePktinfo");
    return {
      ifindex: v.getUint32(P.ipi6_ifindex, LE),
      addr: formatIPv6(it.data, P.ipi6_addr),
    };
  },
  hopLimit(n: number): AncData {
    return intItem("IPPROTO_IPV6", "IPV6_HOPLIMIT", int32(n, "hop limit"));
  },
  trafficClass(n: number): AncData {
    return intItem("IPPROTO_IPV6", "IPV6_TCLASS", int32(n, "traffic class"));
  },
  tos(n: number): AncData {
    return intItem("IPPROTO_IP", "IP_TOS", int32(n, "tos"));
  },
  ttl(n: number): AncData {
    return intItem("IPPROTO_IP", "IP_TTL", int32(n, "ttl"));
  },
  decodeInt(item: AncData): number {
    if (typeof item !== "object" || item === null) {
      throw new TypeError(
        `decodeInt needs an AncData item, not ${typeName(item)}`,
      );
    }
    const d = bytesArg(item.data, "decodeInt item data");
    if (d.byteLength === 1) return d[0];
    if (d.byteLength < 4) {
      throw new RangeError(
        `decodeInt: ${d.byteLength} bytes are neither a byte nor an int`,
      );
    }
    return new DataView(d.buffer, d.byteOffset, 4).getInt32(0, LE);
  },
  decodeTimestamp(item: AncData): Timestamp {
    const it = expect(item, "decodeTimestamp", [
      ["SOL_SOCKET", "SCM_TIMESTAMP"],
      ["SOL_SOCKET", "SCM_TIMESTAMPNS"],
    ]);
    const ns = it.type === C.SCM_TIMESTAMPNS;
    const T = ns ? layout.timespec : layout.timeval;
    const frac = ns ? layout.timespec.tv_nsec : layout.timeval.tv_usec;
    const v = need(it, T.size, "decodeTimestamp");
    const sec = readSigned(v, T.tv_sec, frac - T.tv_sec);
    const f = readSigned(v, frac, T.size - frac);
    return { sec, nsec: ns ? f : f * 1000 };
  },
  encode(items: Iterable<AncData>): Uint8Array {
    return encodeControl(ancdataArg(items, "items")) ?? new Uint8Array(0);
  },
  decode(control: Uint8Array): AncData[] {
    return decodeControl(bytesArg(control, "control"));
  },
};
