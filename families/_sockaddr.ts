/**
 * Pieces every family codec shares: the `sockaddr` header (`sa_len` where
 * the platform has one, `sa_family` in host byte order) and argument
 * checks whose messages say what was expected.
 *
 * @internal
 * @module
 */
import { errnoCodes, layout, need } from "../constants/mod.ts";

/**
 * Whether this CPU is little-endian. Most sockaddr fields are in network
 * order, but `sa_family` and `sin6_scope_id` are in host order.
 */
export const HOST_LE: boolean =
  new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** `AF_UNSPEC`: the family reported for a buffer too short to hold one. */
export const AF_UNSPEC: number = need("AF_UNSPEC");

/**
 * Reads an errno value the codecs raise.
 *
 * @param name the symbolic name (`"ENAMETOOLONG"`)
 * @returns its value on this platform
 * @throws {Error} when the platform table lacks it
 */
export function errnoOf(name: string): number {
  const v = errnoCodes[name];
  if (v === undefined) {
    throw new Error(`@sockets/socket: the errno table lacks ${name}`);
  }
  return v;
}

/**
 * Writes the `sockaddr` header: `sa_len` (BSD, macOS) and `sa_family`,
 * whose width (1 or 2 bytes) the platform layout gives.
 *
 * @param view a view of the whole sockaddr
 * @param at the offset of the family field in this struct
 * @param family the address family
 * @param length the sockaddr's length, stored in `sa_len` where it exists
 */
export function putFamily(
  view: DataView,
  at: number,
  family: number,
  length: number,
): void {
  if (layout.sa_len >= 0) view.setUint8(layout.sa_len, Math.min(length, 255));
  if (layout.sizes.sa_family_t === 1) view.setUint8(at, family);
  else view.setUint16(at, family, HOST_LE);
}

/**
 * Reads `sa_family` from a sockaddr of kernel-returned length.
 *
 * @param b the sockaddr, already clamped to the kernel's length
 * @returns the family, or `AF_UNSPEC` when `b` is too short to hold one
 */
export function getFamily(b: Uint8Array): number {
  const at = layout.sockaddr.sa_family;
  const size = layout.sizes.sa_family_t;
  if (b.byteLength < at + size) return AF_UNSPEC;
  if (size === 1) return b[at];
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(
    at,
    HOST_LE,
  );
}

/**
 * `b`, or a zero-filled copy of it grown to `size` bytes. A short sockaddr
 * decodes as CPython decodes it: from a zeroed buffer the kernel filled
 * only in part.
 *
 * @param b the sockaddr as returned
 * @param size the struct's full size
 * @returns at least `size` readable bytes
 */
export function padTo(b: Uint8Array, size: number): Uint8Array {
  if (b.byteLength >= size) return b;
  const p = new Uint8Array(size);
  p.set(b);
  return p;
}

/**
 * Names a value's type for an error message (`"string"`, `"array"`,
 * `"Uint8Array"`, `"null"`; numbers by value, as `1.5` or `NaN`).
 *
 * @param v any value
 * @returns a short description that never throws for symbols
 */
export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  switch (typeof v) {
    case "number":
      return String(v);
    case "object": {
      const name = Object.getPrototypeOf(v)?.constructor?.name;
      return typeof name === "string" && name !== "Object" && name !== ""
        ? name
        : "object";
    }
    default:
      return typeof v;
  }
}

/**
 * Checks that an address is a plain record and returns it for field reads.
 *
 * @param address the caller's address
 * @param family the family name for the message (`"AF_INET"`)
 * @param shape the expected shape for the message
 * @returns the address as a record
 * @throws {TypeError} when `address` is not a non-array object
 */
export function record(
  address: unknown,
  family: string,
  shape: string,
): Record<string, unknown> {
  if (
    typeof address !== "object" || address === null || Array.isArray(address)
  ) {
    throw new TypeError(
      `${family} address must be an object ${shape}, not ${typeName(address)}`,
    );
  }
  return address as Record<string, unknown>;
}

/**
 * Checks an address's `host` field.
 *
 * @param host the field's value
 * @param family the family name for the message
 * @returns the host
 * @throws {TypeError} when `host` is not a string or contains a NUL
 *   (Python: "host name must not contain null character")
 */
export function checkHost(host: unknown, family: string): string {
  if (typeof host !== "string") {
    throw new TypeError(
      `${family} address host must be a string, not ${typeName(host)}`,
    );
  }
  if (host.includes("\0")) {
    throw new TypeError(
      `${family} address host must not contain a NUL character`,
    );
  }
  return host;
}

/**
 * Checks an unsigned integer field. Python raises `TypeError` for a float
 * or a non-number and `OverflowError` for a value out of range, so these
 * map to `TypeError` and `RangeError`.
 *
 * @param v the field's value
 * @param what the field's name for the message (`"AF_INET port"`)
 * @param max the largest value allowed
 * @returns the value, with `-0` read as `0`
 * @throws {TypeError} when `v` is not an integer number
 * @throws {RangeError} when `v` is outside `0..max`
 */
export function checkUint(v: unknown, what: string, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(v)}`);
  }
  if (v < 0 || v > max) {
    throw new RangeError(`${what} must be 0-${max}, got ${v}`);
  }
  return v + 0;
}

/**
 * Checks what an `AddressContext.resolve` implementation returned,
 * so a faulty context cannot make an encoder write a short address.
 *
 * @param raw the returned value
 * @param length the byte count the family needs (4 or 16)
 * @param family the family name for the message
 * @returns `raw`
 * @throws {TypeError} when `raw` is not a Uint8Array of `length` bytes
 */
export function checkResolved(
  raw: unknown,
  length: number,
  family: string,
): Uint8Array {
  if (!(raw instanceof Uint8Array) || raw.byteLength !== length) {
    throw new TypeError(
      `AddressContext.resolve() must return ${length} bytes for ${family}, returned ${
        typeName(raw)
      }${raw instanceof Uint8Array ? ` of ${raw.byteLength} bytes` : ""}`,
    );
  }
  return raw;
}
