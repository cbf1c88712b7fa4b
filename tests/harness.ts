/**
 * One test file, two runners: `Deno.test` under Deno, `bun:test` under Bun.
 * The Bun module is imported through a variable so Deno's checker never
 * follows it.
 *
 * @module
 */

/** Options accepted by {@link test}. */
export interface TestOptions {
  /** Skip the test; a string is printed as the reason. */
  ignore?: boolean | string;
  /** Per-test time limit in ms (Bun; Deno has none). */
  timeout?: number;
}

type Fn = () => void | Promise<void>;
type BunTest = (name: string, fn: Fn, timeout?: number) => void;
interface BunTestModule {
  test: BunTest & { skip: BunTest };
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
/** `"deno"` or `"bun"`: the runtime the tests run on. */
export const runtime: "deno" | "bun" = g.Bun !== undefined ? "bun" : "deno";

const bunSpec = "bun:test";
const bunTest: BunTestModule | undefined = runtime === "bun"
  ? await import(bunSpec)
  : undefined;

/** Registers a test with the current runtime's runner. */
export function test(name: string, fn: Fn, options: TestOptions = {}): void {
  const ignore = options.ignore ?? false;
  if (ignore !== false && typeof ignore === "string") {
    console.log(`skip: ${name}: ${ignore}`);
  }
  if (bunTest !== undefined) {
    const t = ignore !== false ? bunTest.test.skip : bunTest.test;
    t(name, fn, options.timeout ?? 60_000);
  } else {
    g.Deno.test({
      name,
      fn,
      ignore: ignore !== false,
      sanitizeOps: false,
      sanitizeResources: false,
    });
  }
}
