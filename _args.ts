/**
 * Argument checks shared by the public modules, following API.md's rule:
 * TypeError where Python raises TypeError, RangeError where it raises
 * ValueError or OverflowError. Internal.
 *
 * @module
 */

/** Names a value's type for an error message (`"null"`, `"array"`, ...). */
export function typeName(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "array";
  return typeof x;
}

/**
 * An integer argument of a C type `bits` wide (signed); booleans count as
 * 0/1, as Python's `int` does.
 */
export function intArg(x: unknown, what: string, bits = 32): number {
  if (typeof x === "boolean") return x ? 1 : 0;
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(x)}`);
  }
  const lim = 2 ** (bits - 1);
  if (x < -lim || x >= lim) {
    throw new RangeError(`${what} is out of range (${x})`);
  }
  return x + 0;
}

/** A non-negative size that fits a C `int` (buffer sizes, counts). */
export function sizeArg(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${what} must be an integer, not ${typeName(x)}`);
  }
  if (x < 0) throw new RangeError(`negative ${what}`);
  if (x > 0x7fffffff) throw new RangeError(`${what} is too large (${x})`);
  return x + 0;
}

/** A Uint8Array view of any bytes-like value, or TypeError. */
export function bytesArg(x: unknown, what = "data"): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (ArrayBuffer.isView(x)) {
    return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  }
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  throw new TypeError(
    `${what} must be a Uint8Array (bytes-like object), not ${typeName(x)}`,
  );
}
