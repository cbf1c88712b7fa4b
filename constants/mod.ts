/**
 * The platform selector: picks this OS's constant table and this CPU's
 * struct layouts once, at load time. Everything else reads `table`,
 * `layout` and `errnoCodes` from here and never asks which OS it runs on.
 *
 * @module
 */
import process from "node:process";
import type { Layout, PlatformTables } from "./types.ts";
import { linux } from "./linux.ts";

export type { Layout, PlatformTables, Struct } from "./types.ts";

const TABLES: Readonly<Record<string, PlatformTables>> = { linux };
const ARCH: Readonly<Record<string, string>> = {
  x64: "x86_64",
  arm64: "aarch64",
};

/** `process.platform` of the running OS (`linux`, `darwin`, ...). */
export const OS: string = process.platform;
/** The CPU name the layouts are keyed by (`x86_64`, `aarch64`). */
export const CPU: string = ARCH[process.arch] ?? process.arch;

function select(): PlatformTables {
  const t = TABLES[OS];
  if (t === undefined) {
    throw new Error(
      `@sockets/socket: unsupported platform "${OS}" (supported: ${
        Object.keys(TABLES).join(", ")
      })`,
    );
  }
  return t;
}

/** This platform's tables. */
export const table: PlatformTables = select();

function selectLayout(): Layout {
  const l = table.layouts[CPU];
  if (l === undefined) {
    throw new Error(
      `@sockets/socket: no struct layouts for ${OS}/${CPU} (known: ${
        Object.keys(table.layouts).join(", ")
      })`,
    );
  }
  return l;
}

/** This platform's struct layouts. */
export const layout: Layout = selectLayout();
/** This platform's socket constants by name. */
export const C: Readonly<Record<string, number>> = table.constants;
/** This platform's errno values by name. */
export const errnoCodes: Readonly<Record<string, number>> = table.errno;

/** Reads a constant the socket layer cannot work without. */
export function need(name: string): number {
  const v = table.constants[name];
  if (v === undefined) {
    throw new Error(`@sockets/socket: ${OS} lacks constant ${name}`);
  }
  return v;
}
