/**
 * `AF_INET`: dotted-quad text and `struct sockaddr_in`.
 *
 * @module
 */
import { layout, need } from "../constants/mod.ts";
import {
  checkHost,
  checkResolved,
  checkUint,
  padTo,
  putFamily,
  record,
} from "./_sockaddr.ts";
import type { AddressContext, InetAddress } from "./types.ts";

const AF_INET: number = need("AF_INET");
const ANY = new Uint8Array(4);
const BROADCAST = new Uint8Array([255, 255, 255, 255]);

/**
 * glibc's `inet_pton4` over `s[start, end)`: exactly four decimal parts of
 * 0-255 separated by dots; a part may not have a leading zero (`"01"`,
 * `"00"`), and nothing else may appear. Writes nothing unless `s` parses.
 *
 * @internal `inet6.ts` uses it for the dotted tail of an IPv6 address.
 * @param s the text
 * @param start the first character to read
 * @param end one past the last character to read
 * @param dst where the 4 address bytes go
 * @param at the offset in `dst`
 * @returns whether `s[start, end)` is a dotted quad
 */
export function parseIPv4Into(
  s: string,
  start: number,
  end: number,
  dst: Uint8Array,
  at: number,
): boolean {
  const parts = [0, 0, 0, 0];
  let n = 0;
  let octets = 0;
  let sawDigit = false;
  for (let i = start; i < end; i++) {
    const ch = s.charCodeAt(i);
    if (ch >= 0x30 && ch <= 0x39) {
      if (sawDigit && parts[n] === 0) return false;
      const v = parts[n] * 10 + (ch - 0x30);
      if (v > 255) return false;
      parts[n] = v;
      if (!sawDigit) {
        if (++octets > 4) return false;
        sawDigit = true;
      }
    } else if (ch === 0x2e && sawDigit) {
      if (octets === 4) return false;
      n++;
      sawDigit = false;
    } else {
      return false;
    }
  }
  if (octets < 4) return false;
  dst.set(parts, at);
  return true;
}

/**
 * Parses a dotted-quad IPv4 address exactly as glibc's
 * `inet_pton(AF_INET, ...)` does (stricter than `inet_aton`: no hex, no
 * octal, no short forms, no leading zeros).
 *
 * @example
 * ```ts
 * import { parseIPv4 } from "./inet.ts";
 * parseIPv4("192.0.2.1"); // Uint8Array [192, 0, 2, 1]
 * parseIPv4("192.0.2.01"); // null
 * ```
 *
 * @param s the text
 * @returns the 4 address bytes in network order, or `null` when `s` is not
 *   a dotted quad
 */
export function parseIPv4(s: string): Uint8Array | null {
  const out = new Uint8Array(4);
  return parseIPv4Into(s, 0, s.length, out, 0) ? out : null;
}

/**
 * Formats 4 address bytes as a dotted quad, as `inet_ntop(AF_INET, ...)`.
 *
 * @example
 * ```ts
 * import { formatIPv4 } from "./inet.ts";
 * formatIPv4(new Uint8Array([127, 0, 0, 1])); // "127.0.0.1"
 * ```
 *
 * @param b the bytes
 * @param offset where the address starts in `b`
 * @returns the dotted quad
 * @throws {RangeError} when `b` has fewer than 4 bytes at `offset`
 */
export function formatIPv4(b: Uint8Array, offset = 0): string {
  if (!(offset >= 0 && offset + 4 <= b.byteLength)) {
    throw new RangeError(
      `an IPv4 address needs 4 bytes at offset ${offset}, the buffer has ${b.byteLength}`,
    );
  }
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/**
 * The address bytes for an `AF_INET` host, as CPython's `setipaddr` picks
 * them: the two special names, then a dotted quad, then the resolver.
 */
function hostBytes(host: string, ctx: AddressContext): Uint8Array {
  if (host === "") return ANY;
  if (host === "<broadcast>") return BROADCAST;
  return parseIPv4(host) ??
    checkResolved(ctx.resolve(host, AF_INET), 4, "AF_INET");
}

/*
 * struct sockaddr_in {              // Linux: 16 bytes
 *     sa_family_t    sin_family;    //  0  u16, host order
 *     in_port_t      sin_port;      //  2  u16, network order
 *     struct in_addr sin_addr;      //  4  4 bytes, network order
 *     unsigned char  sin_zero[8];   //  8  zero
 * };
 * BSD and macOS put a u8 sin_len at 0 and a u8 sin_family at 1; the
 * offsets come from the platform layout.
 */

/**
 * Encodes an `AF_INET` address as a `struct sockaddr_in`. Every check runs
 * before the resolver is asked, so a bad port never costs a DNS lookup.
 *
 * @example
 * ```ts ignore
 * encodeInet({ host: "127.0.0.1", port: 8080 }, ctx);
 * // 02 00 1f 90 7f 00 00 01 00 00 00 00 00 00 00 00 (Linux)
 * ```
 *
 * @param address `{ host, port }`: `host` `""` is `INADDR_ANY`,
 *   `"<broadcast>"` is `INADDR_BROADCAST`, a dotted quad is used as is and
 *   anything else goes to `ctx.resolve(host, AF_INET)`
 * @param ctx the resolver
 * @returns exactly `layout.sockaddr_in.size` bytes
 * @throws {TypeError} when `address` is not an object, `host` is not a
 *   string or contains a NUL, or `port` is not an integer
 * @throws {RangeError} when `port` is outside 0-65535
 * @throws {GaiError} when `host` does not resolve
 */
export function encodeInet(address: unknown, ctx: AddressContext): Uint8Array {
  const a = record(address, "AF_INET", "{ host: string, port: number }");
  const host = checkHost(a.host, "AF_INET");
  const port = checkUint(a.port, "AF_INET port", 0xffff);
  const addr = hostBytes(host, ctx);

  const L = layout.sockaddr_in;
  const b = new Uint8Array(L.size);
  const v = new DataView(b.buffer);
  putFamily(v, L.sin_family, AF_INET, L.size);
  v.setUint16(L.sin_port, port, false);
  b.set(addr, L.sin_addr);
  return b;
}

/**
 * Decodes a `struct sockaddr_in`. The family field is not checked (the
 * caller dispatched on it); a short buffer reads as zero-filled.
 *
 * @param b the sockaddr, clamped to the kernel-returned length
 * @returns `{ host, port }` with `host` a dotted quad
 */
export function decodeInet(b: Uint8Array): InetAddress {
  const L = layout.sockaddr_in;
  const s = padTo(b, L.size);
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
  return {
    host: formatIPv4(s, L.sin_addr),
    port: v.getUint16(L.sin_port, false),
  };
}
