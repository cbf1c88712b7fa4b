#!/usr/bin/env node
// The project's entry points for a machine that has only Node and npm:
//   node scripts/run.mjs demo    runs the demo under Deno, then Bun
//   node scripts/run.mjs test    every check CI runs
//   node scripts/run.mjs bench   the benchmarks
// Each first installs the pinned deno and bun from the npm registry into
// node_modules/.bin when they are missing or not the pinned versions.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pins = pkg.devDependencies;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  return r.status ?? 1;
}

function version(cmd) {
  if (!existsSync(cmd)) return null;
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout : null;
}

function ensureRuntimes() {
  const deno = version(bin("deno"));
  const bun = version(bin("bun"));
  if (deno?.includes(`deno ${pins.deno}`) && bun?.trim() === pins.bun) return;
  console.log(`== installing deno ${pins.deno} and bun ${pins.bun} (npm)`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  // `npm install`, not `npm ci`: npm records only this platform's optional
  // @deno/* binary in the lock file and `npm ci` then refuses it. The exact
  // versions in package.json pin what gets installed.
  if (run(npm, ["install", "--no-audit", "--no-fund"]) !== 0) {
    console.error("npm install failed");
    process.exit(1);
  }
  for (const name of ["deno", "bun"]) {
    if (version(bin(name)) === null) {
      console.error(`${name} did not install into node_modules/.bin`);
      process.exit(1);
    }
  }
}

/** Debian's netbase gives /etc/services and /etc/protocols (resolver tests). */
function ensureNetbase() {
  if (existsSync("/etc/services") && existsSync("/etc/protocols")) return;
  if (process.getuid?.() === 0) {
    console.log("== installing netbase (apt)");
    run("apt-get", ["install", "-y", "--no-install-recommends", "netbase"]);
  }
}

const deno = bin("deno");
const bunBin = bin("bun");
const env = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };

const steps = {
  demo: [
    ["demo under Deno", deno, [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "examples/demo.ts",
    ]],
    ["demo under Bun", bunBin, ["examples/demo.ts"]],
  ],
  test: [
    ["deno fmt --check", deno, ["fmt", "--check"]],
    ["deno lint", deno, ["lint"]],
    ["deno check", deno, [
      "check",
      "mod.ts",
      "tests/",
      "bench/",
      "examples/",
      "scripts/",
    ]],
    ["deno doc --lint mod.ts", deno, ["doc", "--lint", "mod.ts"]],
    ["deno publish --dry-run", deno, ["publish", "--dry-run", "--allow-dirty"]],
    ["deno test", deno, ["test", "-A", "--doc"]],
    ["bun test", bunBin, ["test", "--timeout", "120000", "./tests/"]],
  ],
  bench: [
    ["bench under Deno", deno, ["run", "-A", "bench/run.ts"]],
    ["bench under Bun", bunBin, ["bench/run.ts"]],
  ],
};

const job = process.argv[2] ?? "test";
if (!(job in steps)) {
  console.error(`usage: node scripts/run.mjs ${Object.keys(steps).join("|")}`);
  process.exit(2);
}
ensureRuntimes();
if (job === "test") ensureNetbase();
const failed = [];
for (const [name, cmd, args] of steps[job]) {
  console.log(`\n== ${name}`);
  const t0 = Date.now();
  const status = run(cmd, args, { env });
  console.log(
    `== ${name}: ${status === 0 ? "ok" : `FAILED (exit ${status})`} in ${
      ((Date.now() - t0) / 1000).toFixed(1)
    } s`,
  );
  if (status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nFAILED: ${failed.join(", ")}`);
  process.exit(1);
}
console.log(`\nall ${steps[job].length} steps passed`);
