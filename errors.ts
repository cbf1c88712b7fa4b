/**
 * The error hierarchy of Python's `socket` module: {@link OSError} with
 * `errno`, `code` and `syscall`, and a subclass chosen from the errno value,
 * as Python chooses one.
 *
 * @module
 */
import { errnoCodes } from "./constants/mod.ts";

const codeNames: Map<number, string> = new Map();
// Aliases share a value; name it as Python's errno.errorcode does.
const PREFERRED = new Set(["EAGAIN", "EDEADLOCK", "ENOTSUP"]);
for (const [name, value] of Object.entries(errnoCodes)) {
  if (!codeNames.has(value) || PREFERRED.has(name)) codeNames.set(value, name);
}

function errnoOf(name: string): number {
  return errnoCodes[name] ?? -1;
}

let describe: (errno: number) => string = (errno) =>
  codeNames.get(errno) ?? `Unknown error ${errno}`;

/**
 * Installs the function that turns an errno into its text (libc's
 * `strerror`); the FFI layer calls this once at load.
 *
 * @internal
 */
export function setErrnoDescriber(fn: (errno: number) => string): void {
  describe = fn;
}

/** The symbolic name of an errno value (`111` -> `"ECONNREFUSED"`). */
export function errnoName(errno: number): string {
  return codeNames.get(errno) ?? `E${errno}`;
}

/**
 * An operating-system error, as Python's `OSError`: `errno` is the C error
 * number, `code` its symbolic name, `syscall` the call that failed, and
 * `message` reads `"[Errno 111] Connection refused"`.
 *
 * @example Telling errors apart
 * ```ts
 * import { ConnectionRefusedError, OSError, socket } from "@sockets/socket";
 * const s = socket();
 * try {
 *   s.connectSync({ host: "127.0.0.1", port: 1 });
 * } catch (e) {
 *   if (e instanceof ConnectionRefusedError) console.log(e.code); // "ECONNREFUSED"
 *   else if (e instanceof OSError) console.log(e.errno, e.message);
 * } finally {
 *   s.close();
 * }
 * ```
 */
export class OSError extends Error {
  /** The C error number (for {@link GaiError} the `EAI_*` value). */
  errno: number;
  /** The symbolic name of `errno`, e.g. `"ECONNREFUSED"`. */
  code: string;
  /** The system call that failed, when known. */
  syscall?: string;

  /**
   * Builds the error; {@link errnoError} picks the subclass for you.
   *
   * @param errno the error number
   * @param strerror the text; defaults to the C library's description
   * @param syscall the failing call, when known
   */
  constructor(errno: number, strerror?: string, syscall?: string) {
    super(`[Errno ${errno}] ${strerror ?? describe(errno)}`);
    this.errno = errno;
    this.code = errnoName(errno);
    if (syscall !== undefined) this.syscall = syscall;
  }

  /** The class name (`"ConnectionRefusedError"`), as Python shows it. */
  override get name(): string {
    return this.constructor.name;
  }
}

/** A non-blocking operation would block (`EAGAIN`, `EINPROGRESS`, ...). */
export class BlockingIOError extends OSError {}
/** Base class of the connection errors. */
export class ConnectionError extends OSError {}
/** Write to a closed pipe or socket (`EPIPE`, `ESHUTDOWN`). */
export class BrokenPipeError extends ConnectionError {}
/** The connection was aborted (`ECONNABORTED`). */
export class ConnectionAbortedError extends ConnectionError {}
/** The peer refused the connection (`ECONNREFUSED`). */
export class ConnectionRefusedError extends ConnectionError {}
/** The peer reset the connection (`ECONNRESET`). */
export class ConnectionResetError extends ConnectionError {}
/** A call was interrupted by a signal (`EINTR`); normally retried. */
export class InterruptedError extends OSError {}
/** Not permitted (`EACCES`, `EPERM`). */
export class PermissionError extends OSError {}
/** No such file or directory (`ENOENT`). */
export class FileNotFoundError extends OSError {}
/** The file exists (`EEXIST`). */
export class FileExistsError extends OSError {}

/**
 * A timeout: the socket's timeout expired (`message` is `"timed out"`,
 * `errno` is `ETIMEDOUT`) or the system reported `ETIMEDOUT`.
 */
export class TimeoutError extends OSError {
  /**
   * Builds a timeout error; without arguments it is the socket timeout.
   *
   * @param errno defaults to `ETIMEDOUT`
   * @param strerror defaults to `"timed out"`
   * @param syscall the call that timed out
   */
  constructor(errno?: number, strerror?: string, syscall?: string) {
    const own = errno === undefined && strerror === undefined;
    super(errno ?? errnoOf("ETIMEDOUT"), own ? "timed out" : strerror, syscall);
    if (errno === undefined && strerror === undefined) {
      this.message = "timed out";
    }
  }
}

/**
 * A name-resolution failure from `getaddrinfo`/`getnameinfo`: `errno` is
 * the `EAI_*` value and the text is `gai_strerror`'s.
 */
export class GaiError extends OSError {
  /**
   * Builds a resolver error.
   *
   * @param errno the `EAI_*` code
   * @param strerror the `gai_strerror` text
   * @param syscall `getaddrinfo` or `getnameinfo`
   */
  constructor(errno: number, strerror: string, syscall?: string) {
    super(errno, strerror, syscall);
    this.code = gaiName(errno);
  }
}

/** A `gethostbyname`/`gethostbyaddr` failure: `errno` is `h_errno`. */
export class HError extends OSError {
  /**
   * Builds a host-database error.
   *
   * @param errno the `h_errno` value
   * @param strerror the `hstrerror` text
   * @param syscall the failing call
   */
  constructor(errno: number, strerror: string, syscall?: string) {
    super(errno, strerror, syscall);
    this.code = HERROR_NAMES[errno] ?? `HERROR_${errno}`;
  }
}

const HERROR_NAMES: Record<number, string> = {
  1: "HOST_NOT_FOUND",
  2: "TRY_AGAIN",
  3: "NO_RECOVERY",
  4: "NO_DATA",
};

let gaiNames: Map<number, string> | undefined;
function gaiName(code: number): string {
  gaiNames ??= new Map();
  return gaiNames.get(code) ?? `EAI_${code}`;
}

/**
 * Registers the `EAI_*` names (value -> name) for {@link GaiError.code}.
 *
 * @internal
 */
export function setGaiNames(names: Record<string, number>): void {
  gaiNames = new Map(Object.entries(names).map(([k, v]) => [v, k]));
}

type OSErrorClass = new (
  errno: number,
  strerror?: string,
  syscall?: string,
) => OSError;

const byErrno: Map<number, OSErrorClass> = new Map();
for (
  const [cls, names] of [
    [BlockingIOError, ["EAGAIN", "EWOULDBLOCK", "EINPROGRESS", "EALREADY"]],
    [BrokenPipeError, ["EPIPE", "ESHUTDOWN"]],
    [ConnectionAbortedError, ["ECONNABORTED"]],
    [ConnectionRefusedError, ["ECONNREFUSED"]],
    [ConnectionResetError, ["ECONNRESET"]],
    [InterruptedError, ["EINTR"]],
    [PermissionError, ["EACCES", "EPERM"]],
    [FileNotFoundError, ["ENOENT"]],
    [FileExistsError, ["EEXIST"]],
    [TimeoutError, ["ETIMEDOUT"]],
  ] as const
) {
  for (const n of names) {
    const v = errnoCodes[n];
    if (v !== undefined) byErrno.set(v, cls);
  }
}

/**
 * Builds the `OSError` subclass Python would raise for `errno`.
 *
 * @internal
 */
export function errnoError(errno: number, syscall?: string): OSError {
  const cls = byErrno.get(errno) ?? OSError;
  return new cls(errno, undefined, syscall);
}
