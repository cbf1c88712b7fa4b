/**
 * Name resolution through the C library: `getaddrinfo` and the interface
 * name/index lookups the address codecs need.
 *
 * @module
 */
import { C, layout } from "./constants/mod.ts";
import { errnoError, GaiError, type OSError, setGaiNames } from "./errors.ts";
import type { Address, AddressContext } from "./families/types.ts";
import { decodeAddress } from "./families/mod.ts";
import { parseIPv4 } from "./families/inet.ts";
import { parseIPv6 } from "./families/inet6.ts";
import { cstring, errno, libc, runtime } from "./ffi/sys.ts";

setGaiNames(
  Object.fromEntries(
    Object.entries(C).filter(([k]) => k.startsWith("EAI_")),
  ),
);

/** One `getaddrinfo` result, as Python's 5-tuple. */
export interface AddrInfo {
  /** Address family (`AF_INET`, `AF_INET6`, ...). */
  family: number;
  /** Socket type (`SOCK_STREAM`, ...). */
  type: number;
  /** Protocol number. */
  proto: number;
  /** The canonical name when `AI_CANONNAME` was asked for, else `""`. */
  canonname: string;
  /** The socket address, in the family's shape. */
  address: Address;
}

const AI = layout.addrinfo;
const EAI_SYSTEM = C.EAI_SYSTEM;

/** The error `getaddrinfo`/`getnameinfo` returned `code` stands for. */
export function gaiError(code: number, syscall: string, err = 0): OSError {
  if (code === EAI_SYSTEM) return errnoError(err, syscall);
  return new GaiError(
    code,
    runtime.readCString(libc.gai_strerror(code)),
    syscall,
  );
}

/** The `struct addrinfo` hints for a query. */
export function hints(
  family: number,
  type: number,
  proto: number,
  flags: number,
): Uint8Array {
  const h = new Uint8Array(AI.size);
  const v = new DataView(h.buffer);
  v.setInt32(AI.ai_flags, flags, true);
  v.setInt32(AI.ai_family, family, true);
  v.setInt32(AI.ai_socktype, type, true);
  v.setInt32(AI.ai_protocol, proto, true);
  return h;
}

/**
 * Walks an `addrinfo` list into objects and frees it (exactly once, also
 * when decoding throws).
 */
export function readAddrInfoList(
  head: Uint8Array,
  ctx: AddressContext,
): AddrInfo[] {
  const first = runtime.readPointer(head, 0);
  const out: AddrInfo[] = [];
  try {
    for (
      let p = first;
      !runtime.isNull(p);
      p = runtime.readPointer(p, AI.ai_next)
    ) {
      const addrlen = runtime.readI32(p, AI.ai_addrlen) >>> 0;
      const addr = runtime.readPointer(p, AI.ai_addr);
      const len = Math.min(addrlen, layout.sockaddr_storage.size);
      const raw = runtime.isNull(addr)
        ? new Uint8Array(0)
        : runtime.copy(addr, 0, len);
      const canon = runtime.readPointer(p, AI.ai_canonname);
      out.push({
        family: runtime.readI32(p, AI.ai_family),
        type: runtime.readI32(p, AI.ai_socktype),
        proto: runtime.readI32(p, AI.ai_protocol),
        canonname: runtime.isNull(canon) ? "" : runtime.readCString(canon),
        address: decodeAddress(raw, ctx),
      });
    }
  } finally {
    if (!runtime.isNull(first)) libc.freeaddrinfo(first);
  }
  return out;
}

/**
 * `getaddrinfo(3)`, blocking: the low-level call under the public
 * resolver functions. `host`/`service` `null` are passed as NULL.
 */
export function getaddrinfoRaw(
  host: string | null,
  service: string | null,
  family: number,
  type: number,
  proto: number,
  flags: number,
): AddrInfo[] {
  const head = new Uint8Array(8);
  const r = libc.getaddrinfo(
    host === null ? null : cstring(host),
    service === null ? null : cstring(service),
    hints(family, type, proto, flags),
    head,
  );
  if (r !== 0) throw gaiError(r, "getaddrinfo", errno());
  return readAddrInfoList(head, addressContext);
}

/** Resolves a host name to the raw address bytes of its first result. */
function resolveHost(host: string, family: number): Uint8Array {
  const list = getaddrinfoRaw(host, null, family, C.SOCK_DGRAM, 0, 0);
  const first = list.find((a) => a.family === family);
  if (first === undefined) {
    throw new GaiError(
      C.EAI_ADDRFAMILY ?? C.EAI_NONAME,
      "Address family for hostname not supported",
      "getaddrinfo",
    );
  }
  const { host: numeric } = first.address as { host: string };
  const bytes = family === C.AF_INET
    ? parseIPv4(numeric)
    : parseIPv6(numeric.split("%")[0]);
  if (bytes === null) throw new Error(`resolver returned "${numeric}"`);
  return bytes;
}

/** `if_nametoindex(3)`: 0 when there is no such interface. */
export function nametoindex(name: string): number {
  if (name.includes("\0")) return 0;
  return libc.if_nametoindex(cstring(name));
}

/** `if_indextoname(3)`: null when there is no such interface. */
export function indextoname(index: number): string | null {
  const buf = new Uint8Array(C.IFNAMSIZ ?? 16);
  const p = libc.if_indextoname(index >>> 0, buf);
  if (runtime.isNull(p)) return null;
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
}

/** What the address codecs need from the C library. */
export const addressContext: AddressContext = {
  resolve: resolveHost,
  nametoindex,
  indextoname,
};
