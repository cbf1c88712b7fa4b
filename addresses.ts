/**
 * Address text and byte-order conversions, as Python's `socket` module has
 * them: `inetAton`/`inetNtoa` (IPv4, the lenient classic forms),
 * `inetPton`/`inetNtop` (IPv4 and IPv6, strict), and `htons`, `htonl`,
 * `ntohs`, `ntohl`.
 *
 * @module
 */
import { typeName } from "./_args.ts";
import { C, errnoCodes } from "./constants/mod.ts";
import { errnoError, OSError } from "./errors.ts";
import {
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
} from "./families/mod.ts";
import { cstring, libc } from "./ffi/sys.ts";

const AF_INET = C.AF_INET;
const AF_INET6 = C.AF_INET6;
const EINVAL = errnoCodes.EINVAL;
const EAFNOSUPPORT = errnoCodes.EAFNOSUPPORT;
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LONE_SURROGATE = /\p{Surrogate}/u;

function integer(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${what}: expected an integer, not ${typeName(x)}`);
  }
  return x;
}

function u16(x: unknown, what: string): number {
  const n = integer(x, what);
  if (n < 0) {
    throw new RangeError(
      `${what}: can't convert negative integer to a 16-bit unsigned integer (${n})`,
    );
  }
  if (n > 0xffff) {
    throw new RangeError(
      `${what}: integer too large to convert to a 16-bit unsigned integer (${n})`,
    );
  }
  return n;
}

function u32(x: unknown, what: string): number {
  const n = integer(x, what);
  if (n < 0) {
    throw new RangeError(
      `${what}: can't convert negative value to unsigned int (${n})`,
    );
  }
  if (n > 0xffffffff) throw new RangeError(`${what}: int larger than 32 bits`);
  return n;
}

function swap16(n: number): number {
  return LITTLE ? ((n & 0xff) << 8) | (n >>> 8) : n;
}

function swap32(n: number): number {
  if (!LITTLE) return n;
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) |
    (n >>> 24)) >>> 0;
}

/**
 * Converts a 16-bit number from host to network byte order (big-endian):
 * swaps the bytes on a little-endian host.
 *
 * @example
 * ```ts
 * import { htons } from "@sockets/socket";
 * console.log(htons(1)); // 256 on x86 and ARM
 * ```
 *
 * @param x 0-65535
 * @returns the converted value
 * @throws {TypeError} when `x` is not an integer
 * @throws {RangeError} when `x` is outside 0-65535
 */
export function htons(x: number): number {
  return swap16(u16(x, "htons"));
}

/**
 * Converts a 16-bit number from network to host byte order.
 *
 * @example
 * ```ts
 * import { ntohs } from "@sockets/socket";
 * console.log(ntohs(256)); // 1 on x86 and ARM
 * ```
 *
 * @param x 0-65535
 * @returns the converted value
 * @throws {TypeError} when `x` is not an integer
 * @throws {RangeError} when `x` is outside 0-65535
 */
export function ntohs(x: number): number {
  return swap16(u16(x, "ntohs"));
}

/**
 * Converts a 32-bit number from host to network byte order (big-endian).
 *
 * @example
 * ```ts
 * import { htonl } from "@sockets/socket";
 * console.log(htonl(1)); // 16777216 on x86 and ARM
 * ```
 *
 * @param x 0-4294967295
 * @returns the converted value (unsigned)
 * @throws {TypeError} when `x` is not an integer
 * @throws {RangeError} when `x` is outside 0-4294967295
 */
export function htonl(x: number): number {
  return swap32(u32(x, "htonl"));
}

/**
 * Converts a 32-bit number from network to host byte order.
 *
 * @example
 * ```ts
 * import { ntohl } from "@sockets/socket";
 * console.log(ntohl(16777216)); // 1 on x86 and ARM
 * ```
 *
 * @param x 0-4294967295
 * @returns the converted value (unsigned)
 * @throws {TypeError} when `x` is not an integer
 * @throws {RangeError} when `x` is outside 0-4294967295
 */
export function ntohl(x: number): number {
  return swap32(u32(x, "ntohl"));
}

/** A text argument for C: a string without NUL or lone surrogates. */
function text(x: unknown, what: string): string {
  if (typeof x !== "string") {
    throw new TypeError(`${what} must be a string, not ${typeName(x)}`);
  }
  if (x.includes("\0")) {
    throw new RangeError(`${what}: embedded null character`);
  }
  if (LONE_SURROGATE.test(x)) {
    throw new RangeError(`${what}: surrogates not allowed (not UTF-8)`);
  }
  return x;
}

function bytesLike(x: unknown, what: string): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (ArrayBuffer.isView(x)) {
    return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  }
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  throw new TypeError(
    `${what}: a bytes-like object (Uint8Array) is required, not ${typeName(x)}`,
  );
}

/**
 * Converts IPv4 text to 4 bytes in network order with the C library's
 * `inet_aton(3)`, which is lenient in the classic ways: fewer than four
 * parts (`"1"` is 0.0.0.1, `"1.2"` is 1.0.0.2, the last part filling the
 * remaining bytes), octal (`"010"`) and hex (`"0x7f"`) parts, and anything
 * after white space ignored (`"1.2.3.4 junk"`).
 *
 * @example
 * ```ts
 * import { inetAton } from "@sockets/socket";
 * console.log(inetAton("0x7f.1")); // Uint8Array [127, 0, 0, 1]
 * ```
 *
 * @param s the text
 * @returns the 4 address bytes
 * @throws {TypeError} when `s` is not a string
 * @throws {RangeError} for a NUL character
 * @throws {OSError} "illegal IP address string passed to inet_aton"
 *   (`EINVAL`) when the C library rejects it
 */
export function inetAton(s: string): Uint8Array {
  const out = new Uint8Array(4);
  if (libc.inet_aton(cstring(text(s, "inetAton() argument")), out) === 0) {
    throw new OSError(
      EINVAL,
      "illegal IP address string passed to inet_aton",
      "inet_aton",
    );
  }
  return out;
}

/**
 * Converts 4 address bytes in network order to a dotted quad.
 *
 * @example
 * ```ts
 * import { inetNtoa } from "@sockets/socket";
 * console.log(inetNtoa(new Uint8Array([192, 0, 2, 1]))); // "192.0.2.1"
 * ```
 *
 * @param b exactly 4 bytes
 * @returns the dotted quad
 * @throws {TypeError} when `b` is not bytes
 * @throws {OSError} "packed IP wrong length for inet_ntoa" (`EINVAL`) when
 *   `b` does not hold exactly 4 bytes
 */
export function inetNtoa(b: Uint8Array): string {
  const bytes = bytesLike(b, "inetNtoa()");
  if (bytes.byteLength !== 4) {
    throw new OSError(
      EINVAL,
      "packed IP wrong length for inet_ntoa",
      "inet_ntoa",
    );
  }
  return formatIPv4(bytes);
}

/**
 * Converts address text to bytes in network order (`inet_pton(3)`, strict:
 * IPv4 only as a dotted quad of decimals without leading zeros; IPv6 in
 * any RFC 4291 text form, without `%scope`).
 *
 * @example
 * ```ts
 * import { AF_INET6, inetPton } from "@sockets/socket";
 * console.log(inetPton(AF_INET6, "::1")); // 15 zero bytes, then 1
 * ```
 *
 * @param family `AF_INET` or `AF_INET6`
 * @param s the text
 * @returns 4 or 16 bytes
 * @throws {TypeError} when `family` is not an integer or `s` not a string
 * @throws {RangeError} when `family` is outside a C `int`, or for a NUL
 *   character
 * @throws {OSError} `EAFNOSUPPORT` for another family;
 *   "illegal IP address string passed to inet_pton" (`EINVAL`) when `s`
 *   does not parse
 */
export function inetPton(family: number, s: string): Uint8Array {
  const af = integer(family, "inetPton() family");
  if (af > 0x7fffffff || af < -0x80000000) {
    throw new RangeError(`inetPton() family out of range (${af})`);
  }
  const t = text(s, "inetPton() address");
  let out: Uint8Array | null;
  if (af === AF_INET) out = parseIPv4(t);
  else if (af === AF_INET6) out = parseIPv6(t);
  else throw errnoError(EAFNOSUPPORT, "inet_pton");
  if (out === null) {
    throw new OSError(
      EINVAL,
      "illegal IP address string passed to inet_pton",
      "inet_pton",
    );
  }
  return out;
}

/**
 * Converts address bytes in network order to text (`inet_ntop(3)`): a
 * dotted quad, or the shortest IPv6 form in lower case (RFC 5952).
 *
 * @example
 * ```ts
 * import { AF_INET6, inetNtop } from "@sockets/socket";
 * const b = new Uint8Array(16);
 * b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8; b[15] = 1;
 * console.log(inetNtop(AF_INET6, b)); // "2001:db8::1"
 * ```
 *
 * @param family `AF_INET` or `AF_INET6`
 * @param b 4 or 16 bytes
 * @returns the text
 * @throws {TypeError} when `family` is not an integer or `b` not bytes
 * @throws {RangeError} for another family ("unknown address family") or a
 *   length that does not match it ("invalid length of packed IP address
 *   string")
 */
export function inetNtop(family: number, b: Uint8Array): string {
  const af = integer(family, "inetNtop() family");
  const bytes = bytesLike(b, "inetNtop()");
  const want = af === AF_INET ? 4 : af === AF_INET6 ? 16 : 0;
  if (want === 0) throw new RangeError(`unknown address family ${af}`);
  if (bytes.byteLength !== want) {
    throw new RangeError("invalid length of packed IP address string");
  }
  return want === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
}
