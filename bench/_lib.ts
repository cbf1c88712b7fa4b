/**
 * The library under test: `../mod.ts`, or another copy of it named by the
 * `SOCKETS_BENCH_LIB` environment variable (a path or URL of its `mod.ts`),
 * so a change can be measured side by side with the same harness.
 *
 * @module
 */
import process from "node:process";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";

type Lib = typeof import("../mod.ts");

function specifier(): string {
  const given = process.env.SOCKETS_BENCH_LIB;
  if (given === undefined || given === "") return "../mod.ts";
  if (/^[a-z]+:/.test(given)) return given;
  return pathToFileURL(isAbsolute(given) ? given : resolve(given)).href;
}

/** Where the library was loaded from. */
export const LIB_SPECIFIER: string = specifier();

/** The library's exports. */
export const lib: Lib = await import(LIB_SPECIFIER);
