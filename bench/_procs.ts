/**
 * The processes around the measured code: building the C programs, the C
 * peer, the C and Python clients, and CPU pinning.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import type { Rep } from "./_report.ts";

/** bench/ */
export const BENCH: string = dirname(fileURLToPath(import.meta.url));
const BUILD = join(BENCH, ".build");

/** The CPU every process of the benchmark is pinned to. */
export const CPU = "0";

/** True when `taskset` is there to pin processes. */
export const CAN_PIN: boolean =
  spawnSync("taskset", ["-c", CPU, "true"]).status === 0;

/**
 * Compiles `bench/c/NAME.c` with `gcc -O2` into `bench/.build/NAME` when the
 * binary is missing or older than its source; returns the binary's path.
 */
export function build(name: string): string {
  const src = join(BENCH, "c", `${name}.c`);
  const out = join(BUILD, name);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) {
    return out;
  }
  mkdirSync(BUILD, { recursive: true });
  const r = spawnSync("gcc", ["-O2", "-Wall", "-o", out, src], {
    encoding: "utf8",
  });
  if (r.status !== 0) {
    throw new Error(`gcc failed for ${src}:\n${r.stderr ?? r.error}`);
  }
  return out;
}

/** `cmd args` pinned to CPU, when taskset exists. */
function pinned(cmd: string, args: string[]): [string, string[]] {
  return CAN_PIN ? ["taskset", ["-c", CPU, cmd, ...args]] : [cmd, args];
}

/**
 * Pins every thread of this process to CPU (`taskset -a -p`); threads made
 * later inherit it. Returns false when that was not possible.
 */
export function pinSelf(): boolean {
  if (!CAN_PIN) return false;
  const r = spawnSync("taskset", [
    "-a",
    "-p",
    "-c",
    CPU,
    String(process.pid),
  ]);
  return r.status === 0;
}

/** The CPUs each thread of this process may run on, deduplicated. */
export function selfAffinity(): string {
  const r = spawnSync("sh", [
    "-c",
    `grep -h Cpus_allowed_list /proc/${process.pid}/task/*/status | sort -u`,
  ], { encoding: "utf8" });
  return (r.stdout ?? "").replace(/Cpus_allowed_list:\s*/g, "").trim()
    .split("\n").join(",");
}

/** A running C peer. */
export interface Peer {
  port: number;
  stop(): void;
}

/** Starts `peer MODE DIR` (pinned) and waits for its "ready PORT" line. */
export function startPeer(binary: string, mode: string, dir: string): Promise<
  Peer
> {
  const [cmd, args] = pinned(binary, [mode, dir]);
  const child: ChildProcess = spawn(cmd, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      out += d;
      const m = /^ready (\d+)\n/.exec(out);
      if (m) {
        resolve({
          port: Number(m[1]),
          stop: () => {
            child.kill();
          },
        });
      }
    });
    child.on("exit", (code) => reject(new Error(`peer exited (${code})`)));
    child.on("error", reject);
  });
}

/** One client of a figure: connected once, then asked for repetitions. */
export interface Session {
  /** Does one timed repetition. */
  rep(): Rep | Promise<Rep>;
  close(): void | Promise<void>;
}

/**
 * Starts an external client (C or Python), pinned. It connects, then does a
 * repetition for each "r" line it reads and answers "t SECONDS [COUNT]";
 * `ops` is the count per repetition unless the line gives one.
 */
export function external(
  cmd: string,
  args: string[],
  ops: number,
): Session {
  const [c, a] = pinned(cmd, args);
  const child = spawn(c, a, { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let exited: string | undefined;
  let waiting: ((line: string | Error) => void) | undefined;
  const settle = (v: string | Error): void => {
    const w = waiting;
    waiting = undefined;
    w?.(v);
  };
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => {
    out += d;
    const nl = out.indexOf("\n");
    if (nl >= 0 && waiting !== undefined) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      settle(line);
    }
  });
  child.stderr!.on("data", (d: string) => err += d);
  const done = new Promise<void>((resolve) => {
    child.on("close", (code) => {
      exited = `${cmd} ${args.join(" ")} exited (${code}): ${err.trim()}`;
      settle(new Error(exited));
      resolve();
    });
  });
  child.on("error", (e) => settle(e));
  return {
    rep(): Promise<Rep> {
      if (exited !== undefined) return Promise.reject(new Error(exited));
      return new Promise<Rep>((resolve, reject) => {
        waiting = (line) => {
          if (line instanceof Error) return reject(line);
          const m = /^t (\S+)(?: (\d+))?$/.exec(line);
          if (!m) return reject(new Error(`${cmd}: unexpected "${line}"`));
          resolve({
            seconds: Number(m[1]),
            ops: m[2] !== undefined ? Number(m[2]) : ops,
          });
        };
        child.stdin!.write("r\n");
      });
    },
    async close(): Promise<void> {
      child.stdin!.end();
      await done;
      if (err.trim() !== "") process.stderr.write(err);
    },
  };
}
