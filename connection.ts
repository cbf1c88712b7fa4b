/**
 * The convenience constructors of Python's `socket` module:
 * {@link createConnection} (try every address a name resolves to) and
 * {@link createServer} (a listening TCP socket with the usual options),
 * plus {@link hasDualstackIpv6} and {@link HAS_IPV6}.
 *
 * @module
 */
import { C, errnoCodes } from "./constants/mod.ts";
import { OSError } from "./errors.ts";
import type { Address } from "./families/types.ts";
import { type AddrInfo, getaddrinfo, getaddrinfoSync } from "./resolver.ts";
import { type Socket, socket } from "./socket.ts";

const AF_INET = C.AF_INET;
const AF_INET6: number | undefined = C.AF_INET6;
const SOCK_STREAM = C.SOCK_STREAM;
const SOL_SOCKET = C.SOL_SOCKET;
const SO_REUSEADDR: number | undefined = C.SO_REUSEADDR;
const SO_REUSEPORT: number | undefined = C.SO_REUSEPORT;
const IPPROTO_IPV6: number | undefined = C.IPPROTO_IPV6;
const IPV6_V6ONLY: number | undefined = C.IPV6_V6ONLY;
const EINVAL = errnoCodes.EINVAL;

/**
 * Whether this build supports IPv6 at all (Python's `socket.has_ipv6`):
 * true when the platform defines `AF_INET6`. Whether the running kernel
 * has IPv6 enabled is another question; creating an `AF_INET6` socket
 * answers it.
 */
export const HAS_IPV6: boolean = AF_INET6 !== undefined;

/** The address {@link createConnection} connects to. */
export interface ConnectionAddress {
  /**
   * A host name or numeric address; `null` means the loopback addresses
   * (getaddrinfo's NULL node), as Python's `None`.
   */
  host: string | null;
  /** A port number, or a service name (`"http"`). */
  port: number | string;
}

/** Options of {@link createConnectionSync}. */
export interface CreateConnectionSyncOptions {
  /**
   * The socket's timeout in ms (`null` = blocking) for connecting and
   * afterwards; when absent the socket keeps the default timeout
   * (`getDefaultTimeout()`), as in Python.
   */
  timeout?: number | null;
  /** Bound before connecting (a local address and port to connect from). */
  sourceAddress?: Address | null;
  /**
   * When every address fails: throw an `AggregateError` of all the errors
   * (Python's `all_errors=True`, an `ExceptionGroup`) instead of the last.
   */
  allErrors?: boolean;
}

/** Options of {@link createConnection}. */
export interface CreateConnectionOptions extends CreateConnectionSyncOptions {
  /** Aborting rejects with `signal.reason` and closes the socket. */
  signal?: AbortSignal;
}

/** Options of {@link createServer}. */
export interface CreateServerOptions {
  /** `AF_INET` (default) or `AF_INET6`. */
  family?: number;
  /** The `listen()` backlog; the system's default when absent. */
  backlog?: number;
  /** Set `SO_REUSEPORT` (RangeError where the platform has none). */
  reusePort?: boolean;
  /**
   * Accept IPv4 and IPv6 on one `AF_INET6` socket (`IPV6_V6ONLY` off);
   * RangeError when the system cannot ({@link hasDualstackIpv6}).
   */
  dualstackIpv6?: boolean;
}

function targetOf(address: unknown): ConnectionAddress {
  if (
    typeof address !== "object" || address === null || Array.isArray(address)
  ) {
    throw new TypeError(
      `createConnection() address must be { host, port }, not ${
        address === null ? "null" : typeof address
      }`,
    );
  }
  const a = address as Record<string, unknown>;
  return { host: a.host as string | null, port: a.port as number | string };
}

/** One attempt's socket set up as Python's `create_connection` does. */
function prepare(
  ai: AddrInfo,
  options: CreateConnectionSyncOptions,
): Socket {
  const sock = socket(ai.family, ai.type, ai.proto);
  try {
    if (options.timeout !== undefined) sock.setTimeout(options.timeout);
    if (options.sourceAddress !== undefined && options.sourceAddress !== null) {
      sock.bind(options.sourceAddress);
    }
  } catch (e) {
    sock.close();
    throw e;
  }
  return sock;
}

function failure(errors: OSError[], allErrors: boolean): Error {
  if (errors.length === 0) {
    return new OSError(EINVAL, "getaddrinfo returns an empty list");
  }
  if (allErrors) return new AggregateError(errors, "create_connection failed");
  return errors[errors.length - 1];
}

/**
 * Connects a TCP socket to `address` without blocking the JavaScript
 * thread (Python's `socket.create_connection`): resolves it with
 * {@link getaddrinfo} (`SOCK_STREAM`), then tries every result in order,
 * each with a new socket, until one connects. An OSError moves on to the
 * next address; any other error (a bad option, an abort) ends the attempt
 * at once. The socket of a failed attempt is closed.
 *
 * @example
 * ```ts
 * import { createConnection, createServer } from "@sockets/socket";
 * using server = createServer({ host: "127.0.0.1", port: 0 });
 * using conn = await createConnection(server.getsockname() as { host: string; port: number });
 * console.log(conn.getpeername()); // { host: "127.0.0.1", port: ... }
 * ```
 *
 * @param address `{ host, port }`
 * @param options `{ timeout, sourceAddress, signal, allErrors }`
 * @returns the connected socket
 * @throws {TypeError} when `address` or an option has the wrong type
 * @throws {RangeError} for a bad timeout or port
 * @throws {GaiError} when `address` does not resolve
 * @throws {OSError} the last attempt's error (e.g. `ConnectionRefusedError`,
 *   `TimeoutError`); "getaddrinfo returns an empty list" when there was no
 *   address to try
 * @throws {AggregateError} of every attempt's OSError, with `allErrors`
 */
export async function createConnection(
  address: ConnectionAddress,
  options: CreateConnectionOptions = {},
): Promise<Socket> {
  const { host, port } = targetOf(address);
  const signal = options.signal;
  signal?.throwIfAborted();
  const list = await abortable(
    getaddrinfo(host, port, 0, SOCK_STREAM),
    signal,
  );
  const errors: OSError[] = [];
  for (const ai of list) {
    let sock: Socket | undefined;
    try {
      sock = prepare(ai, options);
      await sock.connect(ai.address, { signal });
      return sock;
    } catch (e) {
      sock?.close();
      if (!(e instanceof OSError)) throw e;
      errors.push(e);
    }
  }
  throw failure(errors, options.allErrors ?? false);
}

/**
 * Like {@link createConnection}, blocking the calling thread (the socket's
 * timeout bounds each connect).
 *
 * @example
 * ```ts
 * import { AF_INET6, createConnectionSync, createServer } from "@sockets/socket";
 * using server = createServer({ host: "::1", port: 0 }, { family: AF_INET6 });
 * const { port } = server.getsockname() as { port: number };
 * using conn = createConnectionSync({ host: "::1", port }, { timeout: 1000 });
 * console.log(conn.getTimeout()); // 1000
 * ```
 *
 * @param address `{ host, port }`
 * @param options `{ timeout, sourceAddress, allErrors }`
 * @returns the connected socket
 * @throws {TypeError} when `address` or an option has the wrong type
 * @throws {RangeError} for a bad timeout or port
 * @throws {GaiError} when `address` does not resolve
 * @throws {OSError} the last attempt's error
 * @throws {AggregateError} of every attempt's OSError, with `allErrors`
 */
export function createConnectionSync(
  address: ConnectionAddress,
  options: CreateConnectionSyncOptions = {},
): Socket {
  const { host, port } = targetOf(address);
  const list = getaddrinfoSync(host, port, 0, SOCK_STREAM);
  const errors: OSError[] = [];
  for (const ai of list) {
    let sock: Socket | undefined;
    try {
      sock = prepare(ai, options);
      sock.connectSync(ai.address);
      return sock;
    } catch (e) {
      sock?.close();
      if (!(e instanceof OSError)) throw e;
      errors.push(e);
    }
  }
  throw failure(errors, options.allErrors ?? false);
}

/** `p`, or the signal's reason as soon as it aborts. */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener("abort", onAbort);
      resolve(v);
    }, (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
}

/**
 * Whether one `AF_INET6` socket can accept both IPv4 and IPv6 connections
 * here (Python's `socket.has_dualstack_ipv6`): tries to turn `IPV6_V6ONLY`
 * off on a fresh socket.
 *
 * @example
 * ```ts
 * import { hasDualstackIpv6 } from "@sockets/socket";
 * console.log(hasDualstackIpv6()); // true on most Linux systems
 * ```
 *
 * @returns true when dual-stack sockets work
 */
export function hasDualstackIpv6(): boolean {
  if (
    !HAS_IPV6 || IPPROTO_IPV6 === undefined || IPV6_V6ONLY === undefined
  ) {
    return false;
  }
  let sock: Socket | undefined;
  try {
    sock = socket(AF_INET6!, SOCK_STREAM);
    sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 0);
    return true;
  } catch (e) {
    if (e instanceof OSError) return false;
    throw e;
  } finally {
    sock?.close();
  }
}

function describe(address: unknown): string {
  try {
    return JSON.stringify(address) ?? String(address);
  } catch {
    return String(address);
  }
}

/** The bind error, its text naming the address, as Python words it. */
function bindError(e: OSError, address: unknown): OSError {
  const strerror = e.message.replace(/^\[Errno -?\d+\] /, "");
  const Class = e.constructor as new (
    errno: number,
    strerror?: string,
    syscall?: string,
  ) => OSError;
  const out = new Class(
    e.errno,
    `${strerror} (while attempting to bind on address ${describe(address)})`,
    e.syscall ?? "bind",
  );
  out.code = e.code;
  return out;
}

/**
 * A TCP socket bound to `address` and listening (Python's
 * `socket.create_server`): `SO_REUSEADDR` set (POSIX), `SO_REUSEPORT`
 * when asked, and for `AF_INET6` `IPV6_V6ONLY` on unless `dualstackIpv6`.
 *
 * @example
 * ```ts
 * import { createServer } from "@sockets/socket";
 * using server = createServer({ host: "127.0.0.1", port: 0 }, { backlog: 16 });
 * console.log(server.getsockname()); // { host: "127.0.0.1", port: ... }
 * ```
 *
 * @param address where to listen, in `family`'s shape
 * @param options `{ family, backlog, reusePort, dualstackIpv6 }`
 * @returns the listening socket
 * @throws {TypeError} when `address` or an option has the wrong type
 * @throws {RangeError} for `reusePort` without `SO_REUSEPORT`,
 *   `dualstackIpv6` where unsupported or with a family other than
 *   `AF_INET6`, or a bad port or backlog
 * @throws {OSError} when `bind` fails (the text names the address, e.g.
 *   `EADDRINUSE`) or `listen` fails; the socket is closed
 */
export function createServer(
  address: Address,
  options: CreateServerOptions = {},
): Socket {
  const family = options.family ?? AF_INET;
  const reusePort = options.reusePort ?? false;
  const dualstack = options.dualstackIpv6 ?? false;
  if (reusePort && SO_REUSEPORT === undefined) {
    throw new RangeError("SO_REUSEPORT not supported on this platform");
  }
  if (dualstack) {
    if (!hasDualstackIpv6()) {
      throw new RangeError("dualstack_ipv6 not supported on this platform");
    }
    if (family !== AF_INET6) {
      throw new RangeError("dualstack_ipv6 requires AF_INET6 family");
    }
  }
  const sock = socket(family, SOCK_STREAM);
  try {
    if (SO_REUSEADDR !== undefined) {
      try {
        sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
      } catch (e) {
        // As CPython: a platform without it fails later, in bind().
        if (!(e instanceof OSError)) throw e;
      }
    }
    if (reusePort) sock.setsockopt(SOL_SOCKET, SO_REUSEPORT!, 1);
    if (HAS_IPV6 && family === AF_INET6 && IPPROTO_IPV6 !== undefined) {
      if (dualstack) sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY!, 0);
      else if (IPV6_V6ONLY !== undefined) {
        sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
      }
    }
    try {
      sock.bind(address);
    } catch (e) {
      throw e instanceof OSError ? bindError(e, address) : e;
    }
    if (options.backlog === undefined) sock.listen();
    else sock.listen(options.backlog);
    return sock;
  } catch (e) {
    sock.close();
    throw e;
  }
}
