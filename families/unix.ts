/**
 * `AF_UNIX`: filesystem paths, Linux abstract names and
 * `struct sockaddr_un`.
 *
 * @module
 */
import { layout, need } from "../constants/mod.ts";
import { OSError } from "../errors.ts";
import { errnoOf, putFamily, typeName } from "./_sockaddr.ts";
import type { UnixAddress } from "./types.ts";

const AF_UNIX: number = need("AF_UNIX");
const ENAMETOOLONG: number = errnoOf("ENAMETOOLONG");
const encoder = new TextEncoder();
// ignoreBOM keeps a path that starts with EF BB BF intact.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/*
 * struct sockaddr_un {               // Linux: 110 bytes
 *     sa_family_t sun_family;        //   0  u16, host order
 *     char        sun_path[108];     //   2  path bytes
 * };
 * The length passed to the kernel says how much of sun_path is used.
 * BSD and macOS put a u8 sun_len at 0 and a u8 sun_family at 1, with a
 * 104-byte sun_path; the sizes come from the platform layout.
 */

/**
 * Encodes an `AF_UNIX` address as a `struct sockaddr_un` whose byte length
 * is the `socklen_t` to pass, computed as CPython computes it:
 *
 * - a path (string, or bytes not starting with 0): its bytes plus the
 *   terminating NUL, so at most `sun_path_size - 1` (107 on Linux) bytes;
 * - an abstract name (bytes starting with 0): exactly its bytes, at most
 *   `sun_path_size` (108 on Linux);
 * - `""` or an empty Uint8Array: the family alone, which makes Linux
 *   autobind a `bind()` to an abstract name.
 *
 * A string is encoded as UTF-8. Like CPython, a NUL inside a path is passed
 * through (the kernel stops at it) and a string starting with `"\0"` is an
 * abstract name too.
 *
 * @example
 * ```ts ignore
 * encodeUnix("/tmp/s"); // 01 00 2f 74 6d 70 2f 73 00 (Linux, 9 bytes)
 * encodeUnix(new Uint8Array([0, 0x61])); // 01 00 00 61 (4 bytes)
 * ```
 *
 * @param address a path string or raw bytes
 * @returns the sockaddr, `offsetof(sun_path)` + name (+ NUL) bytes long
 * @throws {TypeError} when `address` is neither a string nor a Uint8Array
 * @throws {RangeError} when a string has a lone surrogate, which has no
 *   UTF-8 form (Python raises `UnicodeEncodeError`, a `ValueError`)
 * @throws {OSError} `ENAMETOOLONG`, "AF_UNIX path too long", when the name
 *   does not fit (Python raises `OSError` with that text)
 */
export function encodeUnix(address: unknown): Uint8Array {
  let name: Uint8Array;
  if (typeof address === "string") {
    if (!address.isWellFormed()) {
      throw new RangeError(
        "AF_UNIX path must be well-formed Unicode, but it contains a lone surrogate; pass a Uint8Array for raw bytes",
      );
    }
    name = encoder.encode(address);
  } else if (address instanceof Uint8Array) {
    name = address;
  } else {
    throw new TypeError(
      `AF_UNIX address must be a string or Uint8Array, not ${
        typeName(address)
      }`,
    );
  }

  const L = layout.sockaddr_un;
  const abstract = name.byteLength === 0 || name[0] === 0;
  const nul = abstract ? 0 : 1;
  if (name.byteLength + nul > L.sun_path_size) {
    throw new OSError(ENAMETOOLONG, "AF_UNIX path too long");
  }
  const length = L.sun_path + name.byteLength + nul;
  const b = new Uint8Array(length);
  putFamily(new DataView(b.buffer), L.sun_family, AF_UNIX, length);
  b.set(name, L.sun_path);
  return b;
}

/**
 * Decodes a `struct sockaddr_un` as CPython does on Linux: nothing after
 * the family is an unnamed socket (`""`); a first path byte of 0 is an
 * abstract name, returned as all its bytes; otherwise a path, up to its
 * first NUL, as a string when it is valid UTF-8 and as raw bytes when not
 * (CPython would return surrogate escapes; a JavaScript string has no
 * lossless form for them).
 *
 * @example
 * ```ts ignore
 * decodeUnix(new Uint8Array([1, 0])); // ""
 * decodeUnix(new Uint8Array([1, 0, 0x2f, 0x73, 0])); // "/s"
 * decodeUnix(new Uint8Array([1, 0, 0, 0x61])); // Uint8Array [0, 0x61]
 * ```
 *
 * @param b the sockaddr, clamped to the kernel-returned length (which
 *   says how much of `sun_path` is used)
 * @returns the path, the abstract name, or `""`
 */
export function decodeUnix(b: Uint8Array): UnixAddress {
  const start = layout.sockaddr_un.sun_path;
  if (b.byteLength <= start) return "";
  const name = b.subarray(start);
  if (name[0] === 0) return name.slice();
  const end = name.indexOf(0);
  const path = end < 0 ? name : name.subarray(0, end);
  try {
    return decoder.decode(path);
  } catch {
    return path.slice();
  }
}
