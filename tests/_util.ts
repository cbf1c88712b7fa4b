/**
 * Test helpers shared by the suites: a Python peer, descriptor counting,
 * temporary paths. Everything here talks to the real system.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The python3 the suites use as an independent peer. */
export const PYTHON = "python3";

/** Runs a Python snippet to completion and returns its stdout. */
export function python(code: string, input?: string): string {
  return execFileSync(PYTHON, ["-c", code], {
    encoding: "utf8",
    input,
    stdio: ["pipe", "pipe", "inherit"],
  });
}

/** A Python peer running in the background. */
export interface Peer {
  /** Resolves with stdout once the process exits 0, else rejects. */
  done: Promise<string>;
  child: ChildProcess;
}

/** Starts a Python snippet in the background (the test thread may block). */
export function pythonPeer(code: string, args: string[] = []): Peer {
  const child = spawn(PYTHON, ["-c", code, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => out += d);
  const done = new Promise<string>((resolve, reject) => {
    child.on("exit", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`python peer exited ${code}: ${out}`));
    });
  });
  return { done, child };
}

/** How many descriptors this process has open. */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(): [string, () => void] {
  const dir = mkdtempSync(join(tmpdir(), "sockets-test-"));
  return [dir, () => rmSync(dir, { recursive: true, force: true })];
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Encodes text. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Decodes text. */
export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
