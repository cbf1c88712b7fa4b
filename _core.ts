/**
 * The seam between the Socket class and the modules that extend it
 * (messages, connection helpers): a symbol-keyed view of a socket's
 * internals. Not part of the public API.
 *
 * @module
 */
import type { Address } from "./families/types.ts";

/** The last argument of every async call. */
export interface AsyncOptions {
  /** Aborting rejects the call with `signal.reason`; nothing is consumed. */
  signal?: AbortSignal;
}

/** Marks "the call failed; read errno" in the drivers. */
export const FAILED: unique symbol = Symbol("failed");
/** One try of a system call: its result, or FAILED with errno set. */
export type Attempt<T> = () => T | typeof FAILED;

/**
 * What sibling modules (messages, connection helpers) need of a socket's
 * internals; reached through `core`. Not part of the public API.
 */
export interface SocketCore {
  /** The descriptor, or throws OSError EBADF when closed. */
  fd(syscall: string): number;
  /** Encodes an address for this socket's family (validates first). */
  encode(address: unknown): Uint8Array;
  /** Decodes a kernel-written sockaddr (already clamped). */
  decode(bytes: Uint8Array): Address;
  /** Runs `attempt` with the socket's mode (blocking/timeout/non-blocking). */
  sync<T>(events: "read" | "write", syscall: string, attempt: Attempt<T>): T;
  /** Runs `attempt` without blocking the thread (async mode rules). */
  async<T>(
    events: "read" | "write",
    syscall: string,
    options: AsyncOptions | undefined,
    attempt: Attempt<T>,
  ): Promise<T>;
}

/** The symbol under which a Socket exposes its {@link SocketCore}. */
export const core: unique symbol = Symbol("socket core");
