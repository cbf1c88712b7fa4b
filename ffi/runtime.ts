/**
 * The runtime shim: the one small interface the rest of the library uses to
 * open a C library, call its symbols and read raw memory, with a Deno
 * (`Deno.dlopen`) and a Bun (`bun:ffi`) implementation. Nothing outside
 * `ffi/` sees either runtime's FFI API.
 *
 * @module
 */

/** The C types a symbol table may use; both runtimes map every one. */
export type NativeType =
  | "void"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "isize"
  | "usize"
  | "f64"
  /** An opaque pointer value returned by C or built by {@link Runtime.pointer}. */
  | "ptr"
  /** A Uint8Array (or null) passed as a pointer to its bytes. */
  | "buf";

/** One C function: parameter and result types. */
export interface SymbolSpec {
  readonly args: readonly NativeType[];
  readonly result: NativeType;
  /** Deno only: run on a worker thread and return a Promise. */
  readonly nonblocking?: boolean;
  /** May be missing from the library (platform-specific symbols). */
  readonly optional?: boolean;
  /** The C symbol name when it differs from the table key. */
  readonly name?: string;
}

/** An opaque pointer (Deno: pointer object or null; Bun: number). */
export type Pointer = unknown;

type JsArg<T extends NativeType> = T extends "buf" ? Uint8Array | null
  : T extends "ptr" ? Pointer
  : T extends "i64" | "u64" | "isize" | "usize" ? number | bigint
  : number;
type JsResult<T extends NativeType> = T extends "void" ? void
  : T extends "ptr" ? Pointer
  : number;
type Params<A extends readonly NativeType[]> = {
  -readonly [K in keyof A]: A[K] extends NativeType ? JsArg<A[K]> : never;
};

/** The callable form of a symbol table. */
export type Functions<S extends Record<string, SymbolSpec>> = {
  readonly [K in keyof S]: S[K]["nonblocking"] extends true
    ? (...args: Params<S[K]["args"]>) => Promise<JsResult<S[K]["result"]>>
    : (...args: Params<S[K]["args"]>) => JsResult<S[K]["result"]>;
};

/** What the library needs from a JavaScript runtime's FFI. */
export interface Runtime {
  readonly name: "deno" | "bun";
  /** Opens the first library of `paths` that loads and binds `symbols`. */
  open<S extends Record<string, SymbolSpec>>(
    paths: readonly string[],
    symbols: S,
  ): Functions<S>;
  /**
   * Converts a length for a `size_t` parameter: Deno's fast calls take a
   * BigInt there (a Number leaves the fast path), Bun's take a Number.
   */
  size(n: number): number | bigint;
  /** A pointer value from an address. */
  pointer(address: bigint): Pointer;
  /** The address a pointer value holds (0n for null). */
  address(p: Pointer): bigint;
  isNull(p: Pointer): boolean;
  /** A fast reader of the `int` at `p` (for errno). */
  int32Reader(p: Pointer): () => number;
  /** A writer of the `int` at `p` (fault injection in tests). */
  int32Writer(p: Pointer): (v: number) => void;
  /** An environment variable, or undefined (also when not permitted). */
  env(name: string): string | undefined;
  /** Reads an `int` at `p + offset`. */
  readI32(p: Pointer, offset: number): number;
  /** Reads a pointer at `p + offset`. */
  readPointer(p: Pointer, offset: number): Pointer;
  /** Reads the NUL-terminated string at `p + offset` (UTF-8). */
  readCString(p: Pointer, offset?: number): string;
  /** Copies `length` bytes at `p + offset` into a new Uint8Array. */
  copy(p: Pointer, offset: number, length: number): Uint8Array;
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

function libraryError(paths: readonly string[], e: unknown): Error {
  const why = e instanceof Error ? e.message : String(e);
  const hint = why.includes("ffi") || why.includes("Requires")
    ? " (Deno needs --allow-ffi)"
    : "";
  return new Error(
    `@sockets/socket: cannot load the C library (tried ${
      paths.join(", ")
    })${hint}: ${why}`,
    { cause: e },
  );
}

function denoRuntime(): Runtime {
  const D = g.Deno;
  const map: Record<NativeType, string> = {
    void: "void",
    u8: "u8",
    i16: "i16",
    u16: "u16",
    i32: "i32",
    u32: "u32",
    i64: "i64",
    u64: "u64",
    isize: "isize",
    usize: "usize",
    f64: "f64",
    ptr: "pointer",
    buf: "buffer",
  };
  const view = (p: Pointer) => new D.UnsafePointerView(p);
  return {
    name: "deno",
    open<S extends Record<string, SymbolSpec>>(
      paths: readonly string[],
      symbols: S,
    ): Functions<S> {
      const defs: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(symbols)) {
        defs[k] = {
          parameters: s.args.map((a) => map[a]),
          result: map[s.result],
          nonblocking: s.nonblocking ?? false,
          optional: s.optional ?? false,
          name: s.name ?? k,
        };
      }
      let last: unknown;
      for (const path of paths) {
        try {
          // A plain copy: tests may wrap a symbol (fault injection).
          return { ...D.dlopen(path, defs).symbols };
        } catch (e) {
          last = e;
          if (e instanceof D.errors.NotCapable) break;
        }
      }
      throw libraryError(paths, last);
    },
    size: BigInt,
    pointer(address: bigint): Pointer {
      return D.UnsafePointer.create(address);
    },
    address(p: Pointer): bigint {
      return p === null ? 0n : BigInt(D.UnsafePointer.value(p));
    },
    isNull(p: Pointer): boolean {
      return p === null;
    },
    int32Reader(p: Pointer): () => number {
      const v = view(p);
      return () => v.getInt32(0);
    },
    int32Writer(p: Pointer): (v: number) => void {
      const cell = new Int32Array(D.UnsafePointerView.getArrayBuffer(p, 4));
      return (v) => {
        cell[0] = v;
      };
    },
    env(name: string): string | undefined {
      const q = D.permissions.querySync?.({ name: "env", variable: name });
      return q?.state === "granted" ? D.env.get(name) : undefined;
    },
    readI32(p: Pointer, offset: number): number {
      return view(p).getInt32(offset);
    },
    readPointer(p: Pointer, offset: number): Pointer {
      return view(p).getPointer(offset);
    },
    readCString(p: Pointer, offset = 0): string {
      return D.UnsafePointerView.getCString(p, offset);
    },
    copy(p: Pointer, offset: number, length: number): Uint8Array {
      const out = new Uint8Array(length);
      if (length > 0) view(p).copyInto(out, offset);
      return out;
    },
  };
}

interface BunFfi {
  dlopen(
    path: string,
    defs: Record<string, unknown>,
  ): { symbols: Record<string, unknown> };
  read: {
    i32(p: number, offset: number): number;
    ptr(p: number, offset: number): number;
  };
  toArrayBuffer(p: number, offset: number, length: number): ArrayBuffer;
  CString: new (p: number, offset?: number) => { toString(): string };
}

function bunRuntime(ffi: BunFfi): Runtime {
  const map: Record<NativeType, string> = {
    void: "void",
    u8: "u8",
    i16: "i16",
    u16: "u16",
    i32: "i32",
    u32: "u32",
    i64: "i64_fast",
    u64: "u64_fast",
    isize: "i64_fast",
    usize: "u64_fast",
    f64: "f64",
    ptr: "ptr",
    buf: "ptr",
  };
  return {
    name: "bun",
    open<S extends Record<string, SymbolSpec>>(
      paths: readonly string[],
      symbols: S,
    ): Functions<S> {
      // Bun has no aliases: bind each C name once, then hand out table keys.
      const defs: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(symbols)) {
        defs[s.name ?? k] = {
          args: s.args.map((a) => map[a]),
          returns: map[s.result],
        };
      }
      const rename = (bound: Record<string, unknown>): Functions<S> => {
        const out: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(symbols)) {
          out[k] = bound[s.name ?? k];
        }
        return out as Functions<S>;
      };
      let last: unknown;
      for (const path of paths) {
        try {
          return rename(ffi.dlopen(path, defs).symbols);
        } catch (e) {
          last = e;
          // Bun fails the whole library when one symbol is missing: drop
          // the optional ones this library lacks and try again.
          const missing = Object.entries(symbols).filter(([, s]) => s.optional)
            .map(([k, s]) => s.name ?? k);
          if (missing.length === 0) continue;
          const kept: Record<string, unknown> = {};
          for (const [k, d] of Object.entries(defs)) {
            if (!missing.includes(k)) kept[k] = d;
          }
          let lib: { symbols: Record<string, unknown> };
          try {
            lib = ffi.dlopen(path, kept);
          } catch (e2) {
            last = e2;
            continue;
          }
          for (const k of missing) {
            try {
              Object.assign(
                lib.symbols,
                ffi.dlopen(path, { [k]: defs[k] }).symbols,
              );
            } catch {
              // absent on this platform: stays undefined, as Deno's optional
            }
          }
          return rename(lib.symbols);
        }
      }
      throw libraryError(paths, last);
    },
    size: (n: number): number => n,
    pointer(address: bigint): Pointer {
      return Number(address);
    },
    address(p: Pointer): bigint {
      return BigInt((p as number | null) ?? 0);
    },
    isNull(p: Pointer): boolean {
      return p === null || p === 0;
    },
    int32Reader(p: Pointer): () => number {
      const a = p as number;
      const read = ffi.read.i32;
      return () => read(a, 0);
    },
    int32Writer(p: Pointer): (v: number) => void {
      const cell = new Int32Array(ffi.toArrayBuffer(p as number, 0, 4));
      return (v) => {
        cell[0] = v;
      };
    },
    env(name: string): string | undefined {
      return g.process?.env?.[name];
    },
    readI32(p: Pointer, offset: number): number {
      return ffi.read.i32(p as number, offset);
    },
    readPointer(p: Pointer, offset: number): Pointer {
      return ffi.read.ptr(p as number, offset);
    },
    readCString(p: Pointer, offset = 0): string {
      return new ffi.CString(p as number, offset).toString();
    },
    copy(p: Pointer, offset: number, length: number): Uint8Array {
      if (length === 0) return new Uint8Array(0);
      return new Uint8Array(ffi.toArrayBuffer(p as number, offset, length))
        .slice();
    },
  };
}

async function detect(): Promise<Runtime> {
  if (g.Bun !== undefined) {
    const spec = "bun:ffi";
    return bunRuntime(await import(spec) as BunFfi);
  }
  if (g.Deno?.dlopen !== undefined) return denoRuntime();
  throw new Error(
    "@sockets/socket: needs Deno (with --allow-ffi) or Bun; this runtime has no FFI",
  );
}

/** The running runtime's FFI, chosen once at load. */
export const runtime: Runtime = await detect();
