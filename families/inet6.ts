/**
 * `AF_INET6`: IPv6 text (glibc's `inet_pton`/`inet_ntop` rules) and
 * `struct sockaddr_in6`.
 *
 * @module
 */
import { layout, need } from "../constants/mod.ts";
import { GaiError, OSError } from "../errors.ts";
import { formatIPv4, parseIPv4Into } from "./inet.ts";
import {
  checkHost,
  checkResolved,
  checkUint,
  errnoOf,
  HOST_LE,
  padTo,
  putFamily,
  record,
} from "./_sockaddr.ts";
import type { AddressContext, Inet6Address } from "./types.ts";

const AF_INET6: number = need("AF_INET6");
const EAI_NONAME: number = need("EAI_NONAME");
const EAFNOSUPPORT: number = errnoOf("EAFNOSUPPORT");
const ANY6 = new Uint8Array(16);

function hexValue(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  const lower = ch | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * glibc's `inet_pton6` over `s[start, end)`, step for step: at most one
 * `::`, which must stand for at least one zero group; 1-4 hex digits per
 * group; a dotted quad only as the last 32 bits.
 */
function parseIPv6Range(
  s: string,
  start: number,
  end: number,
): Uint8Array | null {
  const tmp = new Uint8Array(16);
  let tp = 0;
  let colonp = -1;
  let i = start;
  if (i === end) return null;
  // A leading ":" must be the start of "::"; the loop then sees the second.
  if (s.charCodeAt(i) === 0x3a) {
    i++;
    if (i === end || s.charCodeAt(i) !== 0x3a) return null;
  }
  let curtok = i;
  let xdigits = 0;
  let val = 0;
  while (i < end) {
    const ch = s.charCodeAt(i++);
    const digit = hexValue(ch);
    if (digit >= 0) {
      if (xdigits === 4) return null;
      val = (val << 4) | digit;
      xdigits++;
      continue;
    }
    if (ch === 0x3a) {
      curtok = i;
      if (xdigits === 0) {
        if (colonp >= 0) return null;
        colonp = tp;
        continue;
      }
      if (i === end) return null;
      if (tp + 2 > 16) return null;
      tmp[tp++] = val >> 8;
      tmp[tp++] = val & 0xff;
      xdigits = 0;
      val = 0;
      continue;
    }
    if (ch === 0x2e && tp + 4 <= 16 && parseIPv4Into(s, curtok, end, tmp, tp)) {
      tp += 4;
      xdigits = 0;
      break;
    }
    return null;
  }
  if (xdigits > 0) {
    if (tp + 2 > 16) return null;
    tmp[tp++] = val >> 8;
    tmp[tp++] = val & 0xff;
  }
  if (colonp >= 0) {
    // "::" must expand to at least one group.
    if (tp === 16) return null;
    const n = tp - colonp;
    tmp.copyWithin(16 - n, colonp, tp);
    tmp.fill(0, colonp, 16 - n);
    tp = 16;
  }
  return tp === 16 ? tmp : null;
}

/**
 * Parses an IPv6 address exactly as glibc's `inet_pton(AF_INET6, ...)`:
 * eight groups of 1-4 hex digits (either case), one `::` standing for one
 * or more zero groups, and optionally a dotted quad as the last 32 bits.
 * A `%scope` suffix is not part of the address and is rejected.
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "./inet6.ts";
 * parseIPv6("::ffff:192.0.2.1"); // 10 zero bytes, ff ff, c0 00 02 01
 * parseIPv6("1::2::3"); // null
 * ```
 *
 * @param s the text
 * @returns the 16 address bytes in network order, or `null`
 */
export function parseIPv6(s: string): Uint8Array | null {
  return parseIPv6Range(s, 0, s.length);
}

/**
 * Formats 16 address bytes byte-for-byte as glibc's
 * `inet_ntop(AF_INET6, ...)`: lower-case hex without leading zeros, the
 * longest run of two or more zero groups (the leftmost on a tie) as `::`
 * (RFC 5952), and the IPv4 forms `::a.b.c.d` (first 96 bits zero, next
 * group nonzero) and `::ffff:a.b.c.d` (IPv4-mapped).
 *
 * @example
 * ```ts
 * import { formatIPv6 } from "./inet6.ts";
 * formatIPv6(new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]));
 * // "2001:db8::1"
 * ```
 *
 * @param b the bytes
 * @param offset where the address starts in `b`
 * @returns the text form
 * @throws {RangeError} when `b` has fewer than 16 bytes at `offset`
 */
export function formatIPv6(b: Uint8Array, offset = 0): string {
  if (!(offset >= 0 && offset + 16 <= b.byteLength)) {
    throw new RangeError(
      `an IPv6 address needs 16 bytes at offset ${offset}, the buffer has ${b.byteLength}`,
    );
  }
  const words: number[] = [];
  for (let i = 0; i < 8; i++) {
    words.push((b[offset + 2 * i] << 8) | b[offset + 2 * i + 1]);
  }
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase !== -1) {
      // Strictly longer: on a tie the leftmost run stays.
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (bestLen < 2) bestBase = -1;

  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (
      i === 6 && bestBase === 0 &&
      (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))
    ) {
      out += formatIPv4(b, offset + 12);
      return out;
    }
    out += words[i].toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ":";
  return out;
}

/**
 * Whether glibc's `getaddrinfo` looks a `%scope` up as an interface name
 * for this address: link-local unicast (fe80::/10) and node- or
 * link-local multicast.
 */
function nameScoped(a: Uint8Array): boolean {
  if (a[0] === 0xfe) return (a[1] & 0xc0) === 0x80;
  if (a[0] === 0xff) return (a[1] & 0x0f) === 0x1 || (a[1] & 0x0f) === 0x2;
  return false;
}

/**
 * The scope id of `"addr%scope"`, as glibc's `__inet6_scopeid_pton` finds
 * it for `getaddrinfo`: an interface name (only for the addresses
 * {@link nameScoped} allows), else a decimal number up to 2^32-1.
 * Anything else fails as `getaddrinfo` does in CPython: `EAI_NONAME`.
 */
function scopeOf(a: Uint8Array, scope: string, ctx: AddressContext): number {
  if (nameScoped(a)) {
    const index = ctx.nametoindex(scope);
    if (index !== 0) return index;
  }
  if (/^[0-9]+$/.test(scope)) {
    const n = Number(scope);
    if (n <= 0xffffffff) return n;
  }
  throw new GaiError(EAI_NONAME, "Name or service not known", "getaddrinfo");
}

/**
 * The address bytes and `%scope` id for an `AF_INET6` host, following
 * CPython's `setipaddr`: `""` is `in6addr_any`; the IPv4 broadcast names
 * are a family mismatch; a literal is parsed here; a literal with `%scope`
 * is split as glibc's `getaddrinfo` splits it; anything else is resolved.
 */
function hostBytes(
  host: string,
  ctx: AddressContext,
): [addr: Uint8Array, scope: number] {
  if (host === "") return [ANY6, 0];
  if (host === "<broadcast>" || host === "255.255.255.255") {
    throw new OSError(EAFNOSUPPORT, "address family mismatched");
  }
  const pct = host.indexOf("%");
  const literal = parseIPv6Range(host, 0, pct < 0 ? host.length : pct);
  if (literal === null) {
    return [checkResolved(ctx.resolve(host, AF_INET6), 16, "AF_INET6"), 0];
  }
  return [literal, pct < 0 ? 0 : scopeOf(literal, host.slice(pct + 1), ctx)];
}

/*
 * struct sockaddr_in6 {                // Linux: 28 bytes
 *     sa_family_t     sin6_family;     //  0  u16, host order
 *     in_port_t       sin6_port;       //  2  u16, network order
 *     uint32_t        sin6_flowinfo;   //  4  u32, network order (20 bits used)
 *     struct in6_addr sin6_addr;       //  8  16 bytes, network order
 *     uint32_t        sin6_scope_id;   // 24  u32, host order
 * };
 * BSD and macOS put a u8 sin6_len at 0 and a u8 sin6_family at 1; the
 * offsets come from the platform layout.
 */

/**
 * Encodes an `AF_INET6` address as a `struct sockaddr_in6`. Every check
 * runs before the resolver is asked.
 *
 * The scope: an explicit `scopeId` wins; without one, the `%scope` of
 * `host` (`"fe80::1%eth0"`, `"fe80::1%2"`) is used; without either it is
 * 0. (CPython always takes the tuple's scope id, which defaults to 0, so
 * there `("fe80::1%eth0", port)` silently loses its scope.) A `%scope`
 * is still checked when `scopeId` is given, as CPython checks it.
 *
 * @example
 * ```ts ignore
 * encodeInet6({ host: "::1", port: 8080 }, ctx);
 * // 0a 00 1f 90 | 00 00 00 00 | 00 .. 00 01 | 00 00 00 00 (Linux)
 * ```
 *
 * @param address `{ host, port, flowinfo?, scopeId? }`: `host` `""` is
 *   `in6addr_any`, a literal (with optional `%scope`) is used as is and
 *   anything else goes to `ctx.resolve(host, AF_INET6)`
 * @param ctx the resolver and interface-name lookup
 * @returns exactly `layout.sockaddr_in6.size` bytes
 * @throws {TypeError} when `address` is not an object, `host` is not a
 *   string or contains a NUL, or a number field is not an integer
 * @throws {RangeError} when `port` is outside 0-65535, `flowinfo` outside
 *   0-1048575 or `scopeId` outside 0-4294967295
 * @throws {OSError} for `"<broadcast>"` (an IPv4 name; `EAFNOSUPPORT`,
 *   "address family mismatched" as in CPython)
 * @throws {GaiError} when `host` does not resolve or its `%scope` names no
 *   interface (`EAI_NONAME`)
 */
export function encodeInet6(
  address: unknown,
  ctx: AddressContext,
): Uint8Array {
  const a = record(
    address,
    "AF_INET6",
    "{ host: string, port: number, flowinfo?: number, scopeId?: number }",
  );
  const host = checkHost(a.host, "AF_INET6");
  const port = checkUint(a.port, "AF_INET6 port", 0xffff);
  const flowinfo = a.flowinfo === undefined
    ? 0
    : checkUint(a.flowinfo, "AF_INET6 flowinfo", 0xfffff);
  const scopeId = a.scopeId === undefined
    ? undefined
    : checkUint(a.scopeId, "AF_INET6 scopeId", 0xffffffff);
  const [addr, hostScope] = hostBytes(host, ctx);

  const L = layout.sockaddr_in6;
  const b = new Uint8Array(L.size);
  const v = new DataView(b.buffer);
  putFamily(v, L.sin6_family, AF_INET6, L.size);
  v.setUint16(L.sin6_port, port, false);
  v.setUint32(L.sin6_flowinfo, flowinfo, false);
  b.set(addr, L.sin6_addr);
  v.setUint32(L.sin6_scope_id, scopeId ?? hostScope, HOST_LE);
  return b;
}

/**
 * Decodes a `struct sockaddr_in6` into all four fields. As in CPython 3.7
 * and later, `host` carries no `%scope` suffix: the scope is `scopeId`.
 * A short buffer reads as zero-filled.
 *
 * @param b the sockaddr, clamped to the kernel-returned length
 * @returns `{ host, port, flowinfo, scopeId }`
 */
export function decodeInet6(b: Uint8Array): Required<Inet6Address> {
  const L = layout.sockaddr_in6;
  const s = padTo(b, L.size);
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
  return {
    host: formatIPv6(s, L.sin6_addr),
    port: v.getUint16(L.sin6_port, false),
    flowinfo: v.getUint32(L.sin6_flowinfo, false),
    scopeId: v.getUint32(L.sin6_scope_id, HOST_LE),
  };
}
