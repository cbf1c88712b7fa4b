/**
 * The address shapes of each socket family, as JavaScript sees them, and
 * the context through which the byte codecs reach the C library without
 * importing it.
 *
 * @module
 */

/**
 * What the address codecs need from the C library. `families/` never
 * imports `ffi/`: the socket layer hands an implementation in, and tests
 * hand in a stub.
 */
export interface AddressContext {
  /**
   * Resolves a non-numeric host for `family` (`AF_INET` or `AF_INET6`), as
   * `getaddrinfo` with that family does, and returns the first result's raw
   * address.
   *
   * @param host the host name, never `""` and never a numeric address of
   *   `family`
   * @param family `AF_INET` or `AF_INET6`
   * @returns the address bytes in network order: 4 for `AF_INET`, 16 for
   *   `AF_INET6`
   * @throws {GaiError} when the name does not resolve
   */
  resolve(host: string, family: number): Uint8Array;
  /**
   * `if_nametoindex(3)`.
   *
   * @param name an interface name such as `"lo"`
   * @returns the interface index, or 0 when no interface has that name
   */
  nametoindex(name: string): number;
  /**
   * `if_indextoname(3)`.
   *
   * @param index an interface index
   * @returns the interface name, or `null` when no interface has that index
   */
  indextoname(index: number): string | null;
}

/**
 * An `AF_INET` address. `host` is a dotted quad or a name to resolve;
 * `""` means `INADDR_ANY` and `"<broadcast>"` means `INADDR_BROADCAST`.
 * Returned addresses always carry a dotted quad.
 */
export interface InetAddress {
  /** Dotted-quad address or host name. */
  host: string;
  /** Port, 0-65535. */
  port: number;
}

/**
 * An `AF_INET6` address, Python's 4-tuple. `host` may carry a scope
 * (`"fe80::1%eth0"`, `"fe80::1%2"`); an explicit `scopeId` wins over it.
 * Returned addresses carry all four fields and no `%scope` suffix, as
 * CPython (3.7 and later) returns them.
 */
export interface Inet6Address {
  /** IPv6 address (optionally with `%scope`) or host name. */
  host: string;
  /** Port, 0-65535. */
  port: number;
  /** `sin6_flowinfo`, 0-1048575 (20 bits); 0 when absent. */
  flowinfo?: number;
  /** `sin6_scope_id`, 0-4294967295; taken from `host`'s `%scope` when absent. */
  scopeId?: number;
}

/**
 * An `AF_UNIX` address: a string is a filesystem path (UTF-8); a Uint8Array
 * is raw bytes, a Linux abstract name when its first byte is 0. Returned:
 * a path as a string (as raw bytes when it is not valid UTF-8), an abstract
 * name as a Uint8Array, an unnamed socket as `""`.
 */
export type UnixAddress = string | Uint8Array;

/**
 * An address of a family this library has no codec for: the `sa_family`
 * value and the bytes that follow it, as the kernel returned them.
 */
export interface UnknownAddress {
  /** The `sa_family` value. */
  family: number;
  /** The bytes after the `sa_family` field (`sa_data` and beyond). */
  data: Uint8Array;
}

/**
 * Any socket address. Grows as families are added (netlink, CAN, packet,
 * ...); code that switches on it should keep a default branch.
 */
export type Address = InetAddress | Inet6Address | UnixAddress | UnknownAddress;
