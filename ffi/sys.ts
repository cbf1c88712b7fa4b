/**
 * The platform's C library, opened once at load: the POSIX table plus the
 * running OS's own symbols, errno access, and the failure check every
 * wrapper shares.
 *
 * @module
 */
import { errnoError, type OSError, setErrnoDescriber } from "../errors.ts";
import { OS } from "../constants/mod.ts";
import { type Functions, runtime } from "./runtime.ts";
import { MAX_IO, posixSymbols } from "./libc.ts";
import * as linux from "./linux.ts";

export { runtime } from "./runtime.ts";
export type { Pointer } from "./runtime.ts";

const PLATFORMS = { linux } as const;

function platform(): typeof linux {
  const p = (PLATFORMS as Record<string, typeof linux>)[OS];
  if (p === undefined) {
    throw new Error(`@sockets/socket: no FFI bindings for platform "${OS}"`);
  }
  return p;
}

const plat = platform();
const symbols = { ...posixSymbols, ...plat.platformSymbols };
const override = runtime.env("SOCKETS_LIBC");

/** The library search path, overridable with `SOCKETS_LIBC`. */
export const LIBC_PATHS: readonly string[] = override !== undefined
  ? [override]
  : plat.LIBC_PATHS;

/** Every C function the library calls, bound. */
export const libc: Functions<typeof symbols> = runtime.open(
  LIBC_PATHS,
  symbols,
);

/**
 * The calling thread's errno. Read it right after the failing call: any
 * other call in between may overwrite it.
 */
const errnoCell = libc.errno_location();
export const errno: () => number = runtime.int32Reader(errnoCell);

/** Sets errno (fault injection in tests: a wrapped symbol fails with it). */
export const setErrno: (v: number) => void = runtime.int32Writer(errnoCell);

/** Converts a length for a `size_t` parameter (see `Runtime.size`). */
export const size: (n: number) => number | bigint = runtime.size;

/**
 * A transfer length for a `size_t` parameter, capped at `MAX_IO` so the
 * `i32`-bound result always fits (a partial transfer, as the kernel does).
 */
export function ioSize(n: number): number | bigint {
  return size(n < MAX_IO ? n : MAX_IO);
}

setErrnoDescriber((e) => runtime.readCString(libc.strerror(e)));

/** The OSError for the current errno, naming the failed call. */
export function lastError(syscall: string): OSError {
  return errnoError(errno(), syscall);
}

/** Throws the current errno as OSError when `r` is -1; returns `r`. */
export function check(r: number, syscall: string): number {
  if (r === -1) throw errnoError(errno(), syscall);
  return r;
}

const encoder = new TextEncoder();

/**
 * A NUL-terminated copy of `s` for a `const char *` parameter.
 *
 * @throws {RangeError} when `s` holds a NUL character (C would cut it).
 */
export function cstring(s: string): Uint8Array {
  if (s.includes("\0")) throw new RangeError("embedded null character");
  const b = new Uint8Array(s.length * 3 + 1);
  const { written } = encoder.encodeInto(s, b);
  return b.subarray(0, written + 1);
}

const ZERO = size(0);

/**
 * The address of a buffer's first byte (0n when empty), for pointers
 * written into structs (iovec, msghdr). An FFI call that takes the buffer
 * and returns its pointer: the runtime pins the bytes (V8 moves a small
 * on-heap typed array's contents off the heap for good), and it costs a
 * tenth of Deno's `UnsafePointer.of`.
 */
export function addressOf(b: Uint8Array): bigint {
  return b.byteLength === 0 ? 0n : BigInt(libc.address_of(b, b, ZERO));
}
