/**
 * Socket addresses as bytes: one encoder per family, chosen by the socket's
 * family, and one decoder switch on the `sa_family` the kernel wrote.
 * Pure codecs: the C library is reached only through an
 * {@link AddressContext}.
 *
 * @module
 */
import { layout, need } from "../constants/mod.ts";
import { OSError } from "../errors.ts";
import { errnoOf, getFamily } from "./_sockaddr.ts";
import { decodeInet, encodeInet } from "./inet.ts";
import { decodeInet6, encodeInet6 } from "./inet6.ts";
import { decodeUnix, encodeUnix } from "./unix.ts";
import type { Address, AddressContext } from "./types.ts";

export type {
  Address,
  AddressContext,
  Inet6Address,
  InetAddress,
  UnixAddress,
  UnknownAddress,
} from "./types.ts";
export { decodeInet, encodeInet, formatIPv4, parseIPv4 } from "./inet.ts";
export { decodeInet6, encodeInet6, formatIPv6, parseIPv6 } from "./inet6.ts";
export { decodeUnix, encodeUnix } from "./unix.ts";

const AF_INET: number = need("AF_INET");
const AF_INET6: number = need("AF_INET6");
const AF_UNIX: number = need("AF_UNIX");
const EAFNOSUPPORT: number = errnoOf("EAFNOSUPPORT");
const DATA_START: number = layout.sockaddr.sa_family +
  layout.sizes.sa_family_t;

interface Codec {
  readonly name: string;
  readonly encode: (address: unknown, ctx: AddressContext) => Uint8Array;
  readonly decode: (b: Uint8Array, ctx: AddressContext) => Address;
}

const codecs: ReadonlyMap<number, Codec> = new Map<number, Codec>([
  [AF_INET, { name: "AF_INET", encode: encodeInet, decode: decodeInet }],
  [AF_INET6, { name: "AF_INET6", encode: encodeInet6, decode: decodeInet6 }],
  [AF_UNIX, { name: "AF_UNIX", encode: encodeUnix, decode: decodeUnix }],
]);

/**
 * Encodes `address` as the sockaddr for a socket of `family`. The whole
 * address is validated before any byte is written.
 *
 * @example
 * ```ts ignore
 * const sa = encodeAddress(AF_INET, { host: "127.0.0.1", port: 80 }, ctx);
 * // pass sa and sa.byteLength to bind(2)/connect(2)/sendto(2)
 * ```
 *
 * @param family the socket's address family
 * @param address the address in the family's shape (see `types.ts`)
 * @param ctx the resolver and interface-name lookup
 * @returns the sockaddr; its `byteLength` is the `socklen_t` to pass
 * @throws {TypeError} when `address` has the wrong shape or types
 * @throws {RangeError} when a number is out of range (a port outside
 *   0-65535, ...) or a path is not well-formed Unicode
 * @throws {OSError} for a family without a codec (`EAFNOSUPPORT`, as
 *   CPython's "getsockaddrarg: bad family"), an `AF_UNIX` path too long
 *   (`ENAMETOOLONG`), or a host that does not resolve (`GaiError`)
 */
export function encodeAddress(
  family: number,
  address: unknown,
  ctx: AddressContext,
): Uint8Array {
  const codec = codecs.get(family);
  if (codec === undefined) {
    throw new OSError(
      EAFNOSUPPORT,
      `getsockaddrarg: bad family ${family} (addresses can be given for ${
        [...codecs.values()].map((c) => c.name).join(", ")
      })`,
    );
  }
  return codec.encode(address, ctx);
}

/**
 * Reads the `sa_family` field of a sockaddr.
 *
 * @param b the sockaddr, clamped to the kernel-returned length
 * @returns the family, or `AF_UNSPEC` (0) when `b` is too short to hold one
 */
export function addressFamilyOf(b: Uint8Array): number {
  return getFamily(b);
}

/**
 * Decodes a sockaddr the kernel returned, by its `sa_family` field.
 *
 * A length of 0 (`recvfrom` from an unnamed `AF_UNIX` peer) carries no
 * family and decodes as `{ family: AF_UNSPEC, data }`; callers that follow
 * CPython report it as `null` (Python's `None`) instead of decoding. An
 * `AF_UNIX` sockaddr holding only the family is the unnamed address `""`.
 *
 * @example
 * ```ts ignore
 * const addr = decodeAddress(buf.subarray(0, addrlen), ctx);
 * ```
 *
 * @param b the sockaddr, already clamped to the kernel-returned length
 * @param ctx the interface-name lookup, for families whose addresses name
 *   interfaces
 * @returns the address in its family's shape, or `{ family, data }` (the
 *   bytes after `sa_family`) for a family without a codec
 */
export function decodeAddress(b: Uint8Array, ctx: AddressContext): Address {
  const family = getFamily(b);
  const codec = codecs.get(family);
  if (codec !== undefined) return codec.decode(b, ctx);
  return { family, data: b.slice(Math.min(b.byteLength, DATA_START)) };
}

/**
 * A copy of a decoded address that shares nothing mutable with it (strings
 * are shared, byte arrays copied), for handing out a cached result.
 *
 * @param a a decoded address
 * @returns an equal, independent address
 */
export function copyAddress(a: Address): Address {
  if (typeof a === "string") return a;
  if (a instanceof Uint8Array) return a.slice();
  const out: Record<string, unknown> = { ...a };
  for (const k in out) {
    const v = out[k];
    if (v instanceof Uint8Array) out[k] = v.slice();
  }
  return out as unknown as Address;
}
