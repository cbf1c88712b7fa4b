/**
 * The address codecs: exact-byte tables (Linux layouts), decode tables,
 * differential tests against python3's `socket` (glibc underneath) and a
 * fuzz of every encoder.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "./harness.ts";
import { C, layout, OS } from "../constants/mod.ts";
import { GaiError, OSError } from "../errors.ts";
import {
  type Address,
  type AddressContext,
  addressFamilyOf,
  decodeAddress,
  decodeInet,
  decodeInet6,
  decodeUnix,
  encodeAddress,
  encodeInet,
  encodeInet6,
  encodeUnix,
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
} from "../families/mod.ts";

const AF_INET = C.AF_INET;
const AF_INET6 = C.AF_INET6;
const AF_UNIX = C.AF_UNIX;
// The byte tables spell out Linux's structs (u16 family first, 108-byte
// sun_path, little-endian host order on x86_64 and aarch64).
const LINUX_ONLY = OS === "linux"
  ? false
  : `the byte tables are Linux struct layouts, this is ${OS}`;

// ---------------------------------------------------------------- helpers

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function unhex(s: string): Uint8Array {
  const t = s.replace(/\s+/g, "");
  const b = new Uint8Array(t.length / 2);
  for (let i = 0; i < b.length; i++) {
    b[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  }
  return b;
}

/** A readable rendering of any value for test names. */
function show(v: unknown): string {
  if (typeof v === "string") {
    return JSON.stringify(
      v.length > 24 ? `${v.slice(0, 12)}…(${v.length})` : v,
    );
  }
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol") return v.toString();
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (v instanceof Uint8Array) {
    return v.length > 8
      ? `Uint8Array(${v.length}) ${hex(v.subarray(0, 4))}…`
      : `Uint8Array ${hex(v)}`;
  }
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const fields = Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`);
    return `{ ${fields.join(", ")} }`;
  }
  return String(v);
}

/** Runs one python3 script on one JSON request; returns its JSON answer. */
function python<T>(script: string, request: unknown): T {
  const out = execFileSync("python3", ["-c", script], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out) as T;
}

/** mulberry32: a small seeded PRNG, so a failing fuzz case replays. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

const LOOPBACK6 = unhex("00000000000000000000000000000001");

/** A stub context: "localhost" resolves, interfaces lo=1 and eth0=2. */
function stubContext(
  interfaces: ReadonlyMap<string, number> = new Map([["lo", 1], [
    "eth0",
    2,
  ]]),
): AddressContext & { resolved: [string, number][] } {
  const resolved: [string, number][] = [];
  return {
    resolved,
    resolve(host: string, family: number): Uint8Array {
      resolved.push([host, family]);
      if (host === "localhost") {
        return family === AF_INET
          ? new Uint8Array([127, 0, 0, 1])
          : LOOPBACK6.slice();
      }
      throw new GaiError(
        C.EAI_NONAME,
        "Name or service not known",
        "getaddrinfo",
      );
    },
    nametoindex(name: string): number {
      return interfaces.get(name) ?? 0;
    },
    indextoname(index: number): string | null {
      for (const [name, i] of interfaces) if (i === index) return name;
      return null;
    },
  };
}

type ErrorClass = new (...args: never[]) => Error;

/** Asserts `fn` throws an instance of exactly `cls` (not a subclass). */
function throwsExactly(fn: () => unknown, cls: ErrorClass): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, `threw a non-Error: ${show(e)}`);
    assert.equal(
      e.constructor,
      cls,
      `threw ${e.constructor.name} (${e.message}), expected ${cls.name}`,
    );
    return true;
  });
}

type Row = readonly [what: string, input: unknown, expect: string | ErrorClass];

function table(
  fnName: string,
  encode: (a: unknown) => Uint8Array,
  rows: readonly Row[],
): void {
  for (const [what, input, expect] of rows) {
    if (typeof expect === "string") {
      test(`${fnName} encodes ${what}`, () => {
        assert.equal(hex(encode(input)), expect.replace(/\s+/g, ""));
      }, { ignore: LINUX_ONLY });
    } else {
      test(`${fnName} throws ${expect.name} for ${what}`, () => {
        throwsExactly(() => encode(input), expect);
      });
    }
  }
}

// ---------------------------------------------------------- AF_INET bytes

const v4 = (host: unknown, port: unknown) => ({ host, port });
const ZERO8 = "0000000000000000";

table("encodeInet()", (a) => encodeInet(a, stubContext()), [
  ["127.0.0.1 port 8080", v4("127.0.0.1", 8080), `0200 1f90 7f000001 ${ZERO8}`],
  ['"" (INADDR_ANY)', v4("", 0), `0200 0000 00000000 ${ZERO8}`],
  ['"<broadcast>"', v4("<broadcast>", 9), `0200 0009 ffffffff ${ZERO8}`],
  [
    "255.255.255.255 port 65535",
    v4("255.255.255.255", 65535),
    `0200 ffff ffffffff ${ZERO8}`,
  ],
  ["a resolved name", v4("localhost", 1), `0200 0001 7f000001 ${ZERO8}`],
  ["port -0 as port 0", v4("1.2.3.4", -0), `0200 0000 01020304 ${ZERO8}`],
  [
    "an address with extra fields",
    { host: "10.0.0.1", port: 53, flowinfo: 9 },
    `0200 0035 0a000001 ${ZERO8}`,
  ],
  ["a string address", "127.0.0.1", TypeError],
  ["an array address", ["127.0.0.1", 80], TypeError],
  ["a null address", null, TypeError],
  ["a Uint8Array address", new Uint8Array(16), TypeError],
  ["a numeric host", v4(1, 80), TypeError],
  ["a missing host", { port: 80 }, TypeError],
  ["a Uint8Array host", v4(new Uint8Array([127, 0, 0, 1]), 80), TypeError],
  ["a host with a NUL", v4("127.0.0.1\0evil", 80), TypeError],
  ["a missing port", { host: "127.0.0.1" }, TypeError],
  ['port "80"', v4("127.0.0.1", "80"), TypeError],
  ["port 1.5", v4("127.0.0.1", 1.5), TypeError],
  ["port NaN", v4("127.0.0.1", NaN), TypeError],
  ["port Infinity", v4("127.0.0.1", Infinity), TypeError],
  ["port 80n", v4("127.0.0.1", 80n), TypeError],
  ["port null", v4("127.0.0.1", null), TypeError],
  ["port 70000", v4("127.0.0.1", 70000), RangeError],
  ["port 65536", v4("127.0.0.1", 65536), RangeError],
  ["port -1", v4("127.0.0.1", -1), RangeError],
  ["port 2**53", v4("127.0.0.1", 2 ** 53), RangeError],
  ["an unknown name", v4("nosuch.invalid", 80), GaiError],
]);

test("encodeInet() checks the port before asking the resolver", () => {
  const ctx = stubContext();
  throwsExactly(() => encodeInet(v4("localhost", 70000), ctx), RangeError);
  assert.deepEqual(ctx.resolved, []);
});

test("encodeInet() resolves only non-numeric hosts, with AF_INET", () => {
  const ctx = stubContext();
  encodeInet(v4("192.0.2.1", 1), ctx);
  encodeInet(v4("", 1), ctx);
  encodeInet(v4("<broadcast>", 1), ctx);
  encodeInet(v4("localhost", 1), ctx);
  // glibc's getaddrinfo (not inet_pton) decides what "01.2.3.4" means.
  assert.throws(() => encodeInet(v4("01.2.3.4", 1), ctx), GaiError);
  assert.deepEqual(ctx.resolved, [["localhost", AF_INET], [
    "01.2.3.4",
    AF_INET,
  ]]);
});

test("encodeInet() rejects a resolver that returns the wrong length", () => {
  const ctx = { ...stubContext(), resolve: () => new Uint8Array(16) };
  throwsExactly(() => encodeInet(v4("example.com", 1), ctx), TypeError);
});

test("encodeInet() returns exactly sizeof(struct sockaddr_in) bytes", () => {
  const b = encodeInet(v4("127.0.0.1", 1), stubContext());
  assert.equal(b.byteLength, layout.sockaddr_in.size);
  assert.equal(addressFamilyOf(b), AF_INET);
});

// --------------------------------------------------------- AF_INET6 bytes

const A6_1 = "00000000000000000000000000000001";
const FE80_1 = "fe800000000000000000000000000001";
const v6 = (host: unknown, port: unknown, more: object = {}) => ({
  host,
  port,
  ...more,
});

table("encodeInet6()", (a) => encodeInet6(a, stubContext()), [
  ["::1 port 8080", v6("::1", 8080), `0a00 1f90 00000000 ${A6_1} 00000000`],
  [
    "flowinfo 0x12345 and scopeId 1",
    v6("::1", 0, { flowinfo: 0x12345, scopeId: 1 }),
    `0a00 0000 00012345 ${A6_1} 01000000`,
  ],
  [
    "the largest flowinfo and scopeId",
    v6("::1", 65535, { flowinfo: 0xfffff, scopeId: 0xffffffff }),
    `0a00 ffff 000fffff ${A6_1} ffffffff`,
  ],
  [
    '"" (in6addr_any)',
    v6("", 0),
    `0a00 0000 00000000 ${"00".repeat(16)} 00000000`,
  ],
  [
    '"fe80::1%lo" with the scope of lo',
    v6("fe80::1%lo", 0),
    `0a00 0000 00000000 ${FE80_1} 01000000`,
  ],
  [
    '"fe80::1%2" with scope 2',
    v6("fe80::1%2", 0),
    `0a00 0000 00000000 ${FE80_1} 02000000`,
  ],
  [
    '"fe80::1%eth0" with explicit scopeId 7 as 7',
    v6("fe80::1%eth0", 0, { scopeId: 7 }),
    `0a00 0000 00000000 ${FE80_1} 07000000`,
  ],
  [
    '"fe80::1%eth0" with explicit scopeId 0 as 0',
    v6("fe80::1%eth0", 0, { scopeId: 0 }),
    `0a00 0000 00000000 ${FE80_1} 00000000`,
  ],
  [
    '"::1%3" (numeric scope on any address)',
    v6("::1%3", 0),
    `0a00 0000 00000000 ${A6_1} 03000000`,
  ],
  [
    '"ff02::1%eth0" (link-local multicast)',
    v6("ff02::1%eth0", 0),
    `0a00 0000 00000000 ff020000000000000000000000000001 02000000`,
  ],
  [
    '"fe80::1%4294967295"',
    v6("fe80::1%4294967295", 0),
    `0a00 0000 00000000 ${FE80_1} ffffffff`,
  ],
  [
    '"::ffff:1.2.3.4"',
    v6("::ffff:1.2.3.4", 80),
    `0a00 0050 00000000 00000000000000000000ffff01020304 00000000`,
  ],
  [
    "a resolved name",
    v6("localhost", 1),
    `0a00 0001 00000000 ${A6_1} 00000000`,
  ],
  ["a string address", "::1", TypeError],
  ["an array address", ["::1", 80, 0, 0], TypeError],
  ["a missing port", { host: "::1" }, TypeError],
  ["a boolean host", v6(true, 80), TypeError],
  ["a host with a NUL", v6("::1\0", 80), TypeError],
  ["port 70000", v6("::1", 70000), RangeError],
  ["port -1", v6("::1", -1), RangeError],
  ["port 8.5", v6("::1", 8.5), TypeError],
  ["flowinfo 1048576", v6("::1", 0, { flowinfo: 0x100000 }), RangeError],
  ["flowinfo -1", v6("::1", 0, { flowinfo: -1 }), RangeError],
  ["flowinfo 1.5", v6("::1", 0, { flowinfo: 1.5 }), TypeError],
  ["flowinfo null", v6("::1", 0, { flowinfo: null }), TypeError],
  ["scopeId 2**32", v6("::1", 0, { scopeId: 2 ** 32 }), RangeError],
  ["scopeId -1", v6("::1", 0, { scopeId: -1 }), RangeError],
  ['scopeId "1"', v6("::1", 0, { scopeId: "1" }), TypeError],
  ['"<broadcast>" (an IPv4 name)', v6("<broadcast>", 0), OSError],
  ['"255.255.255.255" (an IPv4 name)', v6("255.255.255.255", 0), OSError],
  ["an IPv4 literal (resolved, and refused)", v6("127.0.0.1", 0), GaiError],
  ['"fe80::1%nosuch" (no such interface)', v6("fe80::1%nosuch", 0), GaiError],
  [
    '"::1%lo" (names only scope link-local addresses)',
    v6("::1%lo", 0),
    GaiError,
  ],
  ['"fe80::1%" (empty scope)', v6("fe80::1%", 0), GaiError],
  ['"fe80::1%4294967296"', v6("fe80::1%4294967296", 0), GaiError],
  ['"fe80::1%1x"', v6("fe80::1%1x", 0), GaiError],
  [
    '"fe80::1%nosuch" even when scopeId is given',
    v6("fe80::1%nosuch", 0, { scopeId: 1 }),
    GaiError,
  ],
]);

test("encodeInet6() throws OSError with EAFNOSUPPORT for <broadcast>", () => {
  assert.throws(
    () => encodeInet6(v6("<broadcast>", 1), stubContext()),
    (e: unknown) =>
      e instanceof OSError && e.constructor === OSError &&
      e.code === "EAFNOSUPPORT" &&
      e.message.includes("address family mismatched"),
  );
});

test("encodeInet6() checks every field before asking the resolver", () => {
  const ctx = stubContext();
  throwsExactly(
    () => encodeInet6(v6("localhost", 1, { flowinfo: 1 << 20 }), ctx),
    RangeError,
  );
  throwsExactly(
    () => encodeInet6(v6("localhost", 1, { scopeId: -1 }), ctx),
    RangeError,
  );
  assert.deepEqual(ctx.resolved, []);
});

test("encodeInet6() returns exactly sizeof(struct sockaddr_in6) bytes", () => {
  const b = encodeInet6(v6("::", 1), stubContext());
  assert.equal(b.byteLength, layout.sockaddr_in6.size);
  assert.equal(addressFamilyOf(b), AF_INET6);
});

// ---------------------------------------------------------- AF_UNIX bytes

const X = (n: number) => "x".repeat(n);
const abstract = (n: number) => {
  const b = new Uint8Array(n).fill(0x61);
  b[0] = 0;
  return b;
};

table("encodeUnix()", encodeUnix, [
  ['"/tmp/s" with its NUL counted', "/tmp/s", "0100 2f746d702f73 00"],
  ['"" (autobind: the family alone)', "", "0100"],
  ["an empty Uint8Array", new Uint8Array(0), "0100"],
  [
    "an abstract name without a NUL",
    new Uint8Array([0, 0x61, 0x62]),
    "0100 006162",
  ],
  ['"\\0abc" as an abstract name, as CPython does', "\0abc", "0100 00616263"],
  [
    '"a\\0b" with the NUL passed through, as CPython does',
    "a\0b",
    "0100 610062 00",
  ],
  ['"é" as UTF-8', "é", "0100 c3a9 00"],
  [
    "raw path bytes that are not UTF-8",
    new Uint8Array([0x2f, 0xff]),
    "0100 2fff 00",
  ],
  ["a 107-byte path", X(107), `0100 ${"78".repeat(107)} 00`],
  ["a 108-byte abstract name", abstract(108), `0100 00${"61".repeat(107)}`],
  ["a 108-byte path (no room for its NUL)", X(108), OSError],
  [
    "108 path bytes (no room for their NUL)",
    new Uint8Array(108).fill(0x78),
    OSError,
  ],
  ["a 109-byte abstract name", abstract(109), OSError],
  ["a path of 54 two-byte characters", "é".repeat(54), OSError],
  ["a number", 42, TypeError],
  ["null", null, TypeError],
  ["undefined", undefined, TypeError],
  ["an object", { path: "/tmp/s" }, TypeError],
  ["an array", ["/tmp/s"], TypeError],
  ["an ArrayBuffer", new ArrayBuffer(4), TypeError],
  ["a Uint16Array", new Uint16Array(2), TypeError],
  ["a string with a lone surrogate", "/tmp/\ud800", RangeError],
]);

test("encodeUnix() throws OSError ENAMETOOLONG for a path too long", () => {
  assert.throws(
    () => encodeUnix(X(200)),
    (e: unknown) =>
      e instanceof OSError && e.code === "ENAMETOOLONG" &&
      e.message.includes("AF_UNIX path too long"),
  );
});

test("encodeUnix() fits every name in sizeof(struct sockaddr_un)", () => {
  const L = layout.sockaddr_un;
  assert.equal(encodeUnix(X(L.sun_path_size - 1)).byteLength, L.size);
  assert.equal(encodeUnix(abstract(L.sun_path_size)).byteLength, L.size);
});

test("encodeUnix() copies the caller's bytes", () => {
  const name = new Uint8Array([0, 0x61]);
  const b = encodeUnix(name);
  name[1] = 0x62;
  assert.equal(b[layout.sockaddr_un.sun_path + 1], 0x61);
});

// ------------------------------------------------------------ dispatching

test("encodeAddress() dispatches on the family", () => {
  const ctx = stubContext();
  assert.deepEqual(
    encodeAddress(AF_INET, v4("1.2.3.4", 5), ctx),
    encodeInet(v4("1.2.3.4", 5), ctx),
  );
  assert.deepEqual(
    encodeAddress(AF_INET6, v6("::1", 5), ctx),
    encodeInet6(v6("::1", 5), ctx),
  );
  assert.deepEqual(encodeAddress(AF_UNIX, "/s", ctx), encodeUnix("/s"));
});

test("encodeAddress() throws OSError EAFNOSUPPORT for an unknown family", () => {
  assert.throws(
    () => encodeAddress(12345, v4("1.2.3.4", 5), stubContext()),
    (e: unknown) =>
      e instanceof OSError && e.constructor === OSError &&
      e.code === "EAFNOSUPPORT" && e.message.includes("bad family"),
  );
});

test("encodeAddress() gives an AF_INET address to AF_INET6 as an error, not bytes", () => {
  throwsExactly(
    () => encodeAddress(AF_INET6, v4("1.2.3.4", 5), stubContext()),
    GaiError,
  );
  throwsExactly(
    () => encodeAddress(AF_INET, v6("::1", 5), stubContext()),
    GaiError,
  );
});

// ---------------------------------------------------------------- decoding

type DecodeRow = readonly [what: string, bytes: string, expect: Address];

const decodeRows: readonly DecodeRow[] = [
  ["a sockaddr_in", `0200 1f90 7f000001 ${ZERO8}`, {
    host: "127.0.0.1",
    port: 8080,
  }],
  ["a short sockaddr_in as zero-filled", "0200 0050", {
    host: "0.0.0.0",
    port: 80,
  }],
  [
    "a sockaddr_in6 with every field",
    `0a00 0050 00012345 ${FE80_1} 02000000`,
    { host: "fe80::1", port: 80, flowinfo: 0x12345, scopeId: 2 },
  ],
  [
    "a sockaddr_in6 flowinfo of 32 bits unmasked, as CPython",
    `0a00 0000 ffffffff ${A6_1} ffffffff`,
    { host: "::1", port: 0, flowinfo: 0xffffffff, scopeId: 0xffffffff },
  ],
  [
    "an IPv4-mapped sockaddr_in6",
    "0a00 0000 00000000 00000000000000000000ffffc0000201 00000000",
    { host: "::ffff:192.0.2.1", port: 0, flowinfo: 0, scopeId: 0 },
  ],
  ["a family-only sockaddr_un as unnamed", "0100", ""],
  ["a sockaddr_un path with its NUL", "0100 2f746d702f73 00", "/tmp/s"],
  ["a sockaddr_un path without a NUL", "0100 2f73", "/s"],
  ["a sockaddr_un path up to its first NUL", "0100 2f73 00 7878", "/s"],
  ["a sockaddr_un path starting with a BOM", "0100 efbbbf61 00", "\ufeffa"],
  ["a sockaddr_un UTF-8 path", "0100 2fc3a9 00", "/é"],
  [
    "a sockaddr_un path that is not UTF-8 as bytes",
    "0100 2fff 00",
    new Uint8Array([0x2f, 0xff]),
  ],
  [
    "a sockaddr_un abstract name as bytes",
    "0100 006162",
    new Uint8Array([0, 0x61, 0x62]),
  ],
  [
    "a sockaddr_un abstract name with trailing NULs kept",
    "0100 00610000",
    new Uint8Array([0, 0x61, 0, 0]),
  ],
  ["an unknown family as { family, data }", "3412 aabbcc", {
    family: 0x1234,
    data: new Uint8Array([0xaa, 0xbb, 0xcc]),
  }],
  ["an empty buffer as AF_UNSPEC", "", { family: 0, data: new Uint8Array(0) }],
  ["a one-byte buffer as AF_UNSPEC", "01", {
    family: 0,
    data: new Uint8Array(0),
  }],
];

for (const [what, bytes, expect] of decodeRows) {
  test(`decodeAddress() decodes ${what}`, () => {
    assert.deepEqual(decodeAddress(unhex(bytes), stubContext()), expect);
  }, { ignore: LINUX_ONLY });
}

test("decodeAddress() reads only the bytes of its view", () => {
  const backing = unhex(`ffff 0200 1f90 7f000001 ${ZERO8} ffff`);
  const view = backing.subarray(2, 18);
  assert.deepEqual(decodeAddress(view, stubContext()), {
    host: "127.0.0.1",
    port: 8080,
  });
  const un = unhex("ff 0100 0061 ff").subarray(1, 5);
  assert.deepEqual(decodeAddress(un, stubContext()), new Uint8Array([0, 0x61]));
});

test("decodeAddress() returns copies, not views of the buffer", () => {
  const b = unhex("0100 006162");
  const name = decodeAddress(b, stubContext()) as Uint8Array;
  b[3] = 0x7a;
  assert.deepEqual(name, new Uint8Array([0, 0x61, 0x62]));
});

test("decode undoes encode for every family", () => {
  const ctx = stubContext();
  const cases: [number, unknown][] = [
    [AF_INET, v4("192.0.2.55", 443)],
    [AF_INET6, v6("2001:db8::8:800:200c:417a", 1, { flowinfo: 7, scopeId: 3 })],
    [AF_UNIX, "/run/x.sock"],
    [AF_UNIX, new Uint8Array([0, 1, 2, 3])],
    [AF_UNIX, ""],
  ];
  for (const [family, address] of cases) {
    const back = decodeAddress(encodeAddress(family, address, ctx), ctx);
    assert.deepEqual(back, address, show(address));
  }
  assert.deepEqual(decodeInet(encodeInet(v4("1.2.3.4", 9), ctx)), {
    host: "1.2.3.4",
    port: 9,
  });
  assert.deepEqual(decodeInet6(encodeInet6(v6("fe80::1%lo", 9), ctx)), {
    host: "fe80::1",
    port: 9,
    flowinfo: 0,
    scopeId: 1,
  });
  assert.equal(decodeUnix(encodeUnix("/é")), "/é");
});

test("decodeAddress() never throws for 5000 random buffers", () => {
  const d = new Dice(prng(0xdec0de));
  const families = [AF_INET, AF_INET6, AF_UNIX, 0, 16, 17, 0xffff];
  const ctx = stubContext();
  for (let i = 0; i < 5000; i++) {
    const b = new Uint8Array(d.int(140));
    for (let j = 0; j < b.length; j++) b[j] = d.int(256);
    if (b.length >= 2 && d.chance(0.8)) {
      new DataView(b.buffer).setUint16(0, d.pick(families), true);
    }
    const family = addressFamilyOf(b);
    const a = decodeAddress(b, ctx);
    if (family === AF_INET) {
      assert.match((a as { host: string }).host, /^\d+\.\d+\.\d+\.\d+$/);
    } else if (family === AF_INET6) {
      assert.ok(parseIPv6((a as { host: string }).host), show(a));
    } else if (family === AF_UNIX) {
      assert.ok(typeof a === "string" || a instanceof Uint8Array);
    } else {
      assert.equal((a as { family: number }).family, family);
    }
  }
});

// ------------------------------------------ text forms against python3

const PTON_NTOP = `
import json, socket, sys
req = json.load(sys.stdin)
def pton(family, s):
    try:
        return socket.inet_pton(family, s).hex()
    except (OSError, ValueError):
        return None
json.dump({
    "v4": [pton(socket.AF_INET, s) for s in req.get("v4", [])],
    "v6": [pton(socket.AF_INET6, s) for s in req.get("v6", [])],
    "ntop4": [socket.inet_ntop(socket.AF_INET, bytes.fromhex(h)) for h in req.get("ntop4", [])],
    "ntop6": [socket.inet_ntop(socket.AF_INET6, bytes.fromhex(h)) for h in req.get("ntop6", [])],
}, sys.stdout)
`;

interface PtonAnswer {
  v4: (string | null)[];
  v6: (string | null)[];
  ntop4: string[];
  ntop6: string[];
}

// CPython's own lists, Lib/test/test_socket.py (testIPv4toString,
// testIPv6toString, testStringToIPv6), with the bytes it expects.
const CPYTHON_V4: [string, string | null][] = [
  ["0.0.0.0", "00000000"],
  ["255.0.255.0", "ff00ff00"],
  ["170.170.170.170", "aaaaaaaa"],
  ["1.2.3.4", "01020304"],
  ["255.255.255.255", "ffffffff"],
  ["0.0.0.", null],
  ["300.0.0.0", null],
  ["a.0.0.0", null],
  ["1.2.3.4.5", null],
  ["::1", null],
];
const CPYTHON_V6: [string, string | null][] = [
  ["::", "00".repeat(16)],
  ["0::0", "00".repeat(16)],
  ["1::", "0001" + "00".repeat(14)],
  ["45ef:76cb:1a:56ef:afeb:bac:1924:aeae", "45ef76cb001a56efafeb0bac1924aeae"],
  ["ad42:abc::127:0:254:2", "ad420abc000000000127000002540002"],
  ["12:a::", "0012000a" + "00".repeat(12)],
  ["0x20::", null],
  [":::", null],
  ["::0::", null],
  ["1::abc::", null],
  ["1::abc::def", null],
  ["1:2:3:4:5:6", null],
  ["1:2:3:4:5:6:", null],
  ["1:2:3:4:5:6:7:8:0", null],
  ["1:2:3:4:5:6:7:8:", null],
  ["::254.42.23.64", "00".repeat(12) + "fe2a1740"],
  ["42::a29b:254.42.23.64", "0042" + "00".repeat(8) + "a29bfe2a1740"],
  ["42:a8b9:0:2:ffff:a29b:254.42.23.64", "0042a8b900000002ffffa29bfe2a1740"],
  ["255.254.253.252", null],
  ["1::260.2.3.0", null],
  ["1::0.be.e.0", null],
  ["1:2:3:4:5:6:7:1.2.3.4", null],
  ["::1.2.3.4:0", null],
  ["0.100.200.0:3:4:5:6:7:8", null],
];
const CPYTHON_NTOP6: [string, string][] = [
  ["00".repeat(16), "::"],
  ["00".repeat(15) + "01", "::1"],
  ["0aef0b0105061001ffff999700550170", "aef:b01:506:1001:ffff:9997:55:170"],
];

function v4Strings(d: Dice, n: number): string[] {
  const part = (): string =>
    d.chance(0.92) ? String(d.int(d.pick([10, 256, 256]))) : d.pick([
      () => String(256 + d.int(800)),
      () => "0" + d.int(100),
      () => "00",
      () => "",
      () => d.chars("0123456789", 4 + d.int(3)),
      () => d.chars("0123456789abcdefx +-", 1 + d.int(3)),
      () => "\u0661",
    ])();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const parts = Array.from({ length: d.pick([4, 4, 4, 3, 5, 1, 2]) }, part);
    let s = parts.join(d.chance(0.95) ? "." : d.pick([",", "..", ":"]));
    if (d.chance(0.05)) s = d.pick([".", " ", "\0", "x"]) + s;
    if (d.chance(0.05)) s += d.pick([".", " ", "\0", "%1", "\n"]);
    out.push(s);
  }
  return out;
}

function v6Strings(d: Dice, n: number): string[] {
  const group = (): string =>
    d.pick([
      () => d.int(0x10000).toString(16),
      () => d.chars("0123456789abcdefABCDEF", d.int(6)),
      () => "0",
      () => "0000",
      () => "ffff",
      () => d.chars("0123456789abcdefg:.x%", 1 + d.int(3)),
    ])();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const groups = Array.from({ length: d.int(10) }, group);
    let s = groups.map((g, j) => j === 0 ? g : (d.chance(0.1) ? "::" : ":") + g)
      .join("");
    if (d.chance(0.25)) {
      const tail = v4Strings(d, 1)[0];
      s += (s === "" || d.chance(0.3) ? "::" : ":") + tail;
    }
    if (d.chance(0.1)) s = "::" + s;
    if (d.chance(0.05)) s = ":" + s;
    if (d.chance(0.05)) s += d.pick(["::", ":", "%lo", " ", "\0"]);
    if (d.chance(0.1)) {
      const at = d.int(s.length + 1);
      s = s.slice(0, at) + d.chars(":.0123456789abcdef", 1) +
        s.slice(at + d.int(2));
    }
    out.push(s);
  }
  return out;
}

/** Random 16-byte addresses, heavy on zero groups and the IPv4 forms. */
function v6Addresses(d: Dice, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    for (let w = 0; w < 8; w++) {
      const word = d.chance(0.55) ? 0 : d.pick([
        1,
        0xffff,
        d.int(0x10000),
        d.int(0x100),
        d.int(0x10) << 12,
      ]);
      v.setUint16(2 * w, word);
    }
    const form = d.int(10);
    if (form === 0) b.fill(0, 0, 10).fill(0xff, 10, 12);
    if (form === 1) b.fill(0, 0, 12);
    if (form === 2) b.fill(0, 0, 10);
    out.push(b);
  }
  return out;
}

test("parseIPv4() accepts and rejects CPython's test_socket list as python3 does", () => {
  const answer = python<PtonAnswer>(PTON_NTOP, {
    v4: CPYTHON_V4.map(([s]) => s),
  });
  CPYTHON_V4.forEach(([s, expect], i) => {
    const got = parseIPv4(s);
    assert.equal(got === null ? null : hex(got), expect, s);
    assert.equal(answer.v4[i], expect, `python3 on ${s}`);
  });
});

test("parseIPv4() agrees with python3's inet_pton on 3000 random strings", () => {
  const strings = v4Strings(new Dice(prng(4)), 3000);
  const answer = python<PtonAnswer>(PTON_NTOP, { v4: strings });
  let accepted = 0;
  strings.forEach((s, i) => {
    const got = parseIPv4(s);
    assert.equal(got === null ? null : hex(got), answer.v4[i], show(s));
    if (got !== null) accepted++;
  });
  assert.ok(accepted > 300, `only ${accepted} of 3000 were valid`);
});

test("parseIPv6() accepts and rejects CPython's test_socket list as python3 does", () => {
  const answer = python<PtonAnswer>(PTON_NTOP, {
    v6: CPYTHON_V6.map(([s]) => s),
  });
  CPYTHON_V6.forEach(([s, expect], i) => {
    const got = parseIPv6(s);
    assert.equal(got === null ? null : hex(got), expect, s);
    assert.equal(answer.v6[i], expect, `python3 on ${s}`);
  });
});

test("parseIPv6() agrees with python3's inet_pton on 6000 random strings", () => {
  const d = new Dice(prng(6));
  const formatted = v6Addresses(d, 1000).map((b) => {
    const s = formatIPv6(b);
    return d.chance(0.5) ? s.toUpperCase() : s;
  });
  const strings = [...v6Strings(d, 5000), ...formatted];
  const answer = python<PtonAnswer>(PTON_NTOP, { v6: strings });
  let accepted = 0;
  strings.forEach((s, i) => {
    const got = parseIPv6(s);
    assert.equal(got === null ? null : hex(got), answer.v6[i], show(s));
    if (got !== null) accepted++;
  });
  assert.ok(accepted > 1500, `only ${accepted} of 6000 were valid`);
});

test("formatIPv6() matches CPython's test_socket list and python3's inet_ntop", () => {
  const answer = python<PtonAnswer>(PTON_NTOP, {
    ntop6: CPYTHON_NTOP6.map(([h]) => h),
  });
  CPYTHON_NTOP6.forEach(([h, expect], i) => {
    assert.equal(formatIPv6(unhex(h)), expect);
    assert.equal(answer.ntop6[i], expect);
  });
});

test("formatIPv6() matches python3's inet_ntop byte for byte on 5000 random addresses", () => {
  const addresses = v6Addresses(new Dice(prng(16)), 5000);
  const answer = python<PtonAnswer>(PTON_NTOP, { ntop6: addresses.map(hex) });
  addresses.forEach((b, i) => {
    const s = formatIPv6(b);
    assert.equal(s, answer.ntop6[i], hex(b));
    assert.deepEqual(parseIPv6(s), b, s);
  });
});

test("formatIPv6() of every zero-group pattern matches python3", () => {
  const addresses: Uint8Array[] = [];
  for (let mask = 0; mask < 256; mask++) {
    for (const fill of [0x0001, 0xffff]) {
      const b = new Uint8Array(16);
      const v = new DataView(b.buffer);
      for (let w = 0; w < 8; w++) {
        v.setUint16(2 * w, mask & (1 << w) ? fill : 0);
      }
      addresses.push(b);
    }
  }
  const answer = python<PtonAnswer>(PTON_NTOP, { ntop6: addresses.map(hex) });
  addresses.forEach((b, i) =>
    assert.equal(formatIPv6(b), answer.ntop6[i], hex(b))
  );
});

test("formatIPv4() matches python3's inet_ntop on 2000 random addresses", () => {
  const d = new Dice(prng(44));
  const addresses = Array.from(
    { length: 2000 },
    () => Uint8Array.from({ length: 4 }, () => d.pick([0, 255, d.int(256)])),
  );
  const answer = python<PtonAnswer>(PTON_NTOP, { ntop4: addresses.map(hex) });
  addresses.forEach((b, i) => {
    assert.equal(formatIPv4(b), answer.ntop4[i]);
    assert.deepEqual(parseIPv4(formatIPv4(b)), b);
  });
});

test("formatIPv4() and formatIPv6() read at an offset and refuse short buffers", () => {
  const b = unhex("ff 7f000001 ff");
  assert.equal(formatIPv4(b, 1), "127.0.0.1");
  throwsExactly(() => formatIPv4(b, 3), RangeError);
  throwsExactly(() => formatIPv6(new Uint8Array(15)), RangeError);
  assert.equal(formatIPv6(unhex(`00 ${A6_1}`), 1), "::1");
});

// ------------------------------------ %scope against python3's getaddrinfo

const GAI_SCOPE = `
import json, socket, sys
hosts = json.load(sys.stdin)
out = []
for h in hosts:
    try:
        r = socket.getaddrinfo(h, 0, socket.AF_INET6, socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST)
        out.append([r[0][4][0], r[0][4][3]])
    except socket.gaierror as e:
        out.append(None)
json.dump({"interfaces": socket.if_nameindex(), "results": out}, sys.stdout)
`;

test("encodeInet6() reads %scope as python3's getaddrinfo (glibc) does", () => {
  const addresses = [
    "fe80::1",
    "febf::1",
    "fec0::1",
    "ff02::1",
    "ff12::1",
    "ff01::1",
    "ff05::1",
    "::1",
    "2001:db8::1",
    "::ffff:1.2.3.4",
    "1.2.3.4",
    "localhost",
  ];
  const scopes = [
    "lo",
    "eth0",
    "1",
    "01",
    "0",
    "4294967295",
    "4294967296",
    "99999999999999999999",
    "",
    "1x",
    " 1",
    "+1",
    "-1",
    "0x1",
    "nosuch",
    "lo%lo",
    "1%",
  ];
  const hosts = addresses.flatMap((a) => scopes.map((s) => `${a}%${s}`));
  const answer = python<{
    interfaces: [number, string][];
    results: ([string, number] | null)[];
  }>(GAI_SCOPE, hosts);
  const ctx = stubContext(
    new Map(answer.interfaces.map(([i, name]) => [name, i])),
  );
  hosts.forEach((host, i) => {
    const expect = answer.results[i];
    if (expect === null) {
      assert.throws(() => encodeInet6(v6(host, 0), ctx), GaiError, host);
      return;
    }
    const got = decodeInet6(encodeInet6(v6(host, 0), ctx));
    assert.deepEqual([got.host, got.scopeId], expect, host);
  });
});

// -------------------------------------------------------------------- fuzz

function randomValue(d: Dice, depth = 0): unknown {
  const kinds = [
    () => undefined,
    () => null,
    () => d.chance(0.5),
    () =>
      d.pick([
        0,
        -0,
        NaN,
        Infinity,
        -Infinity,
        1.5,
        -1,
        65535,
        65536,
        2 ** 31,
        2 ** 32,
        2 ** 53,
        1e308,
        Number.MIN_VALUE,
        Number.MAX_SAFE_INTEGER + 2,
        0xfffff,
        0x100000,
        0xffffffff,
      ])!,
    () => d.int(0x20000) - 0x100,
    () => d.pick([0n, 80n, -1n, 2n ** 64n]),
    () => d.pick([Symbol("x"), Symbol.iterator, Symbol.for("port")]),
    () => randomString(d),
    () => randomString(d),
    () => randomBytes(d),
    () =>
      d.pick([
        new Uint16Array(3),
        new ArrayBuffer(8),
        new DataView(new ArrayBuffer(4)),
        new Date(0),
        new Map(),
        /x/,
        () => 1,
        new Int8Array([0, 1]),
      ]),
    () =>
      depth < 3
        ? Array.from({ length: d.int(4) }, () => randomValue(d, depth + 1))
        : [],
    () => depth < 3 ? randomAddressObject(d, depth + 1) : {},
    () => depth < 3 ? randomAddressObject(d, depth + 1) : {},
    () => depth < 3 ? randomAddressObject(d, depth + 1) : {},
  ];
  return d.pick(kinds)();
}

function randomString(d: Dice): string {
  return d.pick([
    () => "",
    () => "127.0.0.1",
    () => "::1",
    () => "localhost",
    () => "<broadcast>",
    () => "fe80::1%lo",
    () => "fe80::1%" + d.chars("lo0123456789%x", d.int(6)),
    () => d.pick(v6Strings(d, 1)),
    () => d.pick(v4Strings(d, 1)),
    () => d.chars("abc\0/.:%\ud800\udc00é", 1 + d.int(20)),
    () => "/tmp/" + d.chars("xyz\0", d.int(120)),
    () => "\0" + d.chars("abc", d.int(120)),
    () => "é".repeat(d.int(70)),
    () => "x".repeat(d.pick([106, 107, 108, 109, 10_000, 100_000])),
    () =>
      String.fromCharCode(
        ...Array.from({ length: d.int(30) }, () => d.int(0x10000)),
      ),
  ])();
}

function randomBytes(d: Dice): Uint8Array {
  const n = d.pick([0, 1, 2, 4, 16, 107, 108, 109, 1000, d.int(200)]);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = d.chance(0.2) ? 0 : d.int(256);
  return b;
}

function randomAddressObject(d: Dice, depth: number): object {
  const a: Record<string, unknown> = d.chance(0.1) ? Object.create(null) : {};
  const realistic = d.chance(0.5);
  if (d.chance(0.95)) {
    a.host = realistic
      ? d.pick([
        "127.0.0.1",
        "",
        "::1",
        "fe80::1%lo",
        "localhost",
        "<broadcast>",
        "10.1.2.3",
        "2001:db8::1",
      ])
      : randomValue(d, depth);
  }
  if (d.chance(0.95)) {
    a.port = realistic ? d.int(70000) - 10 : randomValue(d, depth);
  }
  if (d.chance(0.3)) {
    a.flowinfo = realistic ? d.int(0x100010) : randomValue(d, depth);
  }
  if (d.chance(0.3)) a.scopeId = realistic ? d.int(5) : randomValue(d, depth);
  if (d.chance(0.1)) a.extra = randomValue(d, depth);
  return d.chance(0.05) ? Object.freeze(a) : a;
}

function fuzz(
  name: string,
  family: number,
  seed: number,
  validSize: (n: number) => boolean,
): void {
  test(`encodeAddress() throws only TypeError, RangeError or OSError for 6000 random ${name} addresses`, () => {
    const d = new Dice(prng(seed));
    const ctx = stubContext();
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const value = randomValue(d);
      let outcome: string;
      try {
        const b = encodeAddress(family, value, ctx);
        assert.ok(b instanceof Uint8Array, `${show(value)} gave ${show(b)}`);
        assert.ok(
          validSize(b.byteLength),
          `${show(value)} gave ${b.byteLength} bytes`,
        );
        assert.equal(addressFamilyOf(b), family);
        outcome = "ok";
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        assert.ok(
          e instanceof TypeError || e instanceof RangeError ||
            e instanceof OSError,
          `${show(value)} threw ${
            e instanceof Error ? `${e.name}: ${e.message}` : show(e)
          }`,
        );
        assert.ok(e.message.length > 0);
        outcome = e.constructor.name;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    assert.ok(
      (outcomes.get("ok") ?? 0) > 150,
      `too few successes: ${show(Object.fromEntries(outcomes))}`,
    );
    assert.ok(
      (outcomes.get("TypeError") ?? 0) > 300,
      `too few TypeErrors: ${show(Object.fromEntries(outcomes))}`,
    );
  });
}

fuzz("AF_INET", AF_INET, 1, (n) => n === layout.sockaddr_in.size);
fuzz("AF_INET6", AF_INET6, 2, (n) => n === layout.sockaddr_in6.size);
fuzz("AF_UNIX", AF_UNIX, 3, (n) =>
  n >= layout.sockaddr_un.sun_path &&
  n <= layout.sockaddr_un.sun_path + layout.sockaddr_un.sun_path_size);
