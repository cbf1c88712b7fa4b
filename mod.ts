/**
 * The whole BSD socket API for Deno and Bun, as Python's `socket` module
 * offers it, through the runtime's built-in FFI into the C library: no
 * native addon, no build step.
 *
 * Everything that may wait comes in two forms: the bare name returns a
 * Promise and never blocks the thread, the `Sync` name blocks and honours
 * the socket's mode (blocking, timeout, non-blocking) as Python does.
 * Timeouts are in milliseconds. Addresses are plain objects
 * (`{ host, port }`), strings (unix paths) or bytes (abstract names).
 *
 * Deno needs `--allow-ffi`; Bun needs nothing.
 *
 * @example A unix datagram round trip
 * ```ts
 * import { AF_UNIX, SOCK_DGRAM, socketpair } from "@sockets/socket";
 * const [a, b] = socketpair(AF_UNIX!, SOCK_DGRAM);
 * a.sendSync(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode(b.recvSync(64))); // "hello"
 * a.close();
 * b.close();
 * ```
 *
 * @module
 */
export {
  fromfd,
  fromshare,
  getDefaultTimeout,
  setDefaultTimeout,
  Socket,
  socket,
  socketpair,
} from "./socket.ts";
export type { Address, AsyncOptions } from "./socket.ts";
export type {
  Inet6Address,
  InetAddress,
  UnixAddress,
  UnknownAddress,
} from "./families/types.ts";
export {
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileExistsError,
  FileNotFoundError,
  GaiError,
  HError,
  InterruptedError,
  OSError,
  PermissionError,
  TimeoutError,
} from "./errors.ts";
export {
  getaddrinfo,
  getaddrinfoSync,
  getfqdn,
  getfqdnSync,
  gethostbyaddr,
  gethostbyaddrSync,
  gethostbyname,
  gethostbynameEx,
  gethostbynameExSync,
  gethostbynameSync,
  gethostname,
  getnameinfo,
  getnameinfoSync,
  getprotobyname,
  getservbyname,
  getservbyport,
  ifIndextoname,
  ifNameindex,
  ifNametoindex,
  sethostname,
} from "./resolver.ts";
export type { AddrInfo, HostEntry, NameInfoAddress } from "./resolver.ts";
export {
  htonl,
  htons,
  inetAton,
  inetNtoa,
  inetNtop,
  inetPton,
  ntohl,
  ntohs,
} from "./addresses.ts";
export {
  createConnection,
  createConnectionSync,
  createServer,
  HAS_IPV6,
  hasDualstackIpv6,
} from "./connection.ts";
export type {
  ConnectionAddress,
  CreateConnectionOptions,
  CreateConnectionSyncOptions,
  CreateServerOptions,
} from "./connection.ts";
export { cmsg, CMSG_LEN, CMSG_SPACE } from "./cmsg.ts";
export type {
  AncData,
  CmsgCodecs,
  Credentials,
  Pktinfo,
  Timestamp,
} from "./cmsg.ts";
export { recvFds, recvFdsSync, sendFds, sendFdsSync } from "./messages.ts";
export type {
  Datagram,
  FileSource,
  MmsgMessage,
  RecvFdsResult,
  RecvMsg,
  RecvMsgInto,
  SeekableFile,
} from "./messages.ts";
export * from "./constants/exports.ts";
