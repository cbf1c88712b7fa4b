/**
 * The benchmark: this library's sockets against C, Python's `socket`
 * module and the running runtime's own sockets, in one run.
 *
 *     node_modules/.bin/deno run -A bench/run.ts
 *     node_modules/.bin/bun bench/run.ts
 *
 * Every client talks to the same C peer (bench/c/peer.c): C
 * (bench/c/client.c), Python (bench/py/client.py), this library and the
 * runtime's native sockets. Everything (this process with all its threads,
 * the peer, the C and Python clients) is pinned to one CPU, so the two ends
 * take turns on it and a figure is the CPU cost of both ends together.
 * Each figure is the median of 5 timed repetitions after two untimed
 * ones, the clients of a figure taking turns. See bench/README.md for what
 * each figure measures.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Address } from "../mod.ts";
import {
  BATCH,
  dgram,
  type DgramOp,
  type Family,
  hasBatched,
  inProcess,
  streamAsync,
  type StreamOp,
  streamSync,
} from "./_ours.ts";
import { LIB_SPECIFIER } from "./_lib.ts";
import {
  type Endpoint,
  nativeInProcess,
  nativeStream,
  RUNTIME,
} from "./_native.ts";
import {
  BENCH,
  build,
  CAN_PIN,
  CPU,
  external,
  pinSelf,
  selfAffinity,
  type Session,
  startPeer,
} from "./_procs.ts";
import {
  type Cell,
  render,
  type Rep,
  type Row,
  type Table,
  type Target,
  type Verdict,
} from "./_report.ts";

const REPS = 5;
/** Untimed rounds first: JIT tiers and socket buffers settle. */
const WARMUPS = 2;
/** Bytes per bulk repetition. */
const BULK = 256 * 1024 * 1024;
/** Round trips per ping-pong repetition (blocking / async). */
const PINGS = 10000;
const ASYNC_PINGS = 4000;
/** Datagrams per repetition (one queue's worth: the peer's 64 MiB buffer). */
const DGRAMS = 16384;

const PYTHON = "python3";
const PY_CLIENT = join(BENCH, "py", "client.py");

const NATIVE = `${RUNTIME} native`;

/** Makes one client of a figure; a string is a cell with no session. */
type Factory = (() => Session | Promise<Session>) | string;

function failure(name: string, e: unknown): string {
  const why = e instanceof Error ? e.message : String(e);
  console.error(`  ${name} failed: ${why}`);
  return "failed";
}

/**
 * Measures the clients of one figure together: each connects once, then
 * they take turns, one repetition each per round (the order rotating),
 * so drift in the machine's speed touches every column alike. The first
 * WARMUPS rounds are not timed.
 */
async function measure(
  factories: Record<string, Factory>,
): Promise<Record<string, Cell>> {
  const cells: Record<string, Cell> = {};
  const sessions: Record<string, Session> = {};
  for (const [name, f] of Object.entries(factories)) {
    if (typeof f === "string") {
      cells[name] = f;
      continue;
    }
    try {
      sessions[name] = await f();
    } catch (e) {
      cells[name] = failure(name, e);
    }
  }
  const names = Object.keys(sessions);
  const reps: Record<string, Rep[]> = {};
  for (let r = -WARMUPS; r < REPS; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + Math.max(r, 0)) % names.length];
      if (cells[name] !== undefined) continue;
      try {
        const rep = await sessions[name].rep();
        if (r >= 0) (reps[name] ??= []).push(rep);
      } catch (e) {
        cells[name] = failure(name, e);
      }
    }
  }
  for (const name of names) {
    try {
      await sessions[name].close();
    } catch (e) {
      failure(`closing ${name}`, e);
    }
    cells[name] ??= reps[name];
  }
  return cells;
}

function familyLabel(f: Family | "udp"): string {
  return f === "tcp" ? "TCP" : f === "udp" ? "UDP" : "unix";
}

function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return (r.stdout || r.stderr || "?").split("\n")[0].trim();
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.*)/.exec(
      readFileSync("/proc/cpuinfo", "utf8"),
    );
    return m ? m[1] : "?";
  } catch {
    return "?";
  }
}

function runtimeVersion(): string {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  return RUNTIME === "Bun"
    ? `Bun ${g.Bun.version}`
    : `Deno ${Deno.version.deno}`;
}

const target = (
  subject: string,
  reference: string,
  min: number,
  text: string,
): Target => ({ subject, reference, min, text });

async function syncTable(peer: Endpoint, client: string): Promise<Table> {
  const rows: Row[] = [];
  for (const family of ["unix", "tcp"] as Family[]) {
    const addr = family === "tcp" ? String(peer.port) : peer.path;
    const address: Address = family === "tcp"
      ? { host: "127.0.0.1", port: peer.port }
      : peer.path;
    for (const op of ["send", "recv", "pingpong"] as StreamOp[]) {
      const n = op === "pingpong" ? PINGS : BULK;
      const args = ["stream", family, addr, op, String(n)];
      const cells = await measure({
        C: () => external(client, args, n),
        Python: () => external(PYTHON, [PY_CLIENT, ...args], n),
        ours: () => streamSync(family, address, op, n),
      });
      const fam = familyLabel(family);
      const bulk = op !== "pingpong";
      rows.push({
        label: op === "send"
          ? `${fam} bulk send (sendAllSync)`
          : op === "recv"
          ? `${fam} bulk recv (recvIntoSync)`
          : `${fam} 1-byte ping-pong`,
        unit: bulk ? "bytes" : "round trips",
        cells,
        targets: [
          bulk
            ? target("ours", "C", 0.9, "bulk within 10% of C")
            : target("ours", "C", 1 / 1.5, "ping-pong within 1.5x of C"),
        ],
      });
    }
  }
  return {
    title: `Issue 2 - blocking (Sync) calls, client against the C peer`,
    notes: [
      `bulk: ${
        BULK >> 20
      } MiB per repetition in 64 KiB calls (time per call shown); ` +
      `ping-pong: ${PINGS} round trips of 1 byte (send + recv) per repetition.`,
      "C: bench/c/client.c; Python: CPython socket, blocking; ours: sendAllSync/recvIntoSync/sendSync.",
    ],
    columns: ["C", "Python", "ours"],
    ratios: [["ours", "C"], ["ours", "Python"]],
    rows,
  };
}

async function asyncTable(
  peer: Endpoint,
  dir: string,
  client: string,
): Promise<Table> {
  const rows: Row[] = [];
  for (const family of ["unix", "tcp"] as Family[]) {
    const addr = family === "tcp" ? String(peer.port) : peer.path;
    const address: Address = family === "tcp"
      ? { host: "127.0.0.1", port: peer.port }
      : peer.path;
    const ep: Endpoint = { ...peer, family };
    const fam = familyLabel(family);
    for (const op of ["send", "recv", "pingpong"] as StreamOp[]) {
      const n = op === "pingpong" ? ASYNC_PINGS : BULK;
      const cells = await measure({
        C: () => external(client, ["stream", family, addr, op, String(n)], n),
        [NATIVE]: () => nativeStream(ep, op, n),
        ours: () => streamAsync(family, address, op, n),
      });
      const bulk = op !== "pingpong";
      rows.push({
        label: op === "send"
          ? `${fam} bulk send -> C peer (sendAll)`
          : op === "recv"
          ? `${fam} bulk recv <- C peer (recvInto)`
          : `${fam} ping-pong with C peer`,
        unit: bulk ? "bytes" : "round trips",
        cells,
        targets: [
          bulk ? target("ours", NATIVE, 1, "async bulk >= native") : target(
            "ours",
            NATIVE,
            1 / 1.25,
            "async ping-pong <= 1.25x native",
          ),
        ],
      });
    }
    for (const op of ["send", "pingpong"] as const) {
      const n = op === "pingpong" ? ASYNC_PINGS : BULK;
      const cells = await measure({
        C: () => external(client, ["stream", family, addr, op, String(n)], n),
        [NATIVE]: () =>
          nativeInProcess(family, op, n, `${dir}/native-${op}.sock`),
        ours: () => inProcess(family, op, n, `${dir}/ours-${op}.sock`),
      });
      rows.push({
        label: op === "send"
          ? `${fam} bulk, both ends in-process`
          : `${fam} ping-pong, both ends in-process`,
        unit: op === "send" ? "bytes" : "round trips",
        cells,
        targets: [
          op === "send"
            ? target("ours", NATIVE, 1, "async bulk >= native")
            : target(
              "ours",
              NATIVE,
              1 / 1.25,
              "async ping-pong <= 1.25x native",
            ),
        ],
      });
    }
  }
  return {
    title: `Issue 3 - async calls (awaited) vs ${RUNTIME}'s own sockets`,
    notes: [
      `ours: await send/sendAll/recvInto; ${NATIVE}: ${
        RUNTIME === "Bun"
          ? "Bun.connect/Bun.listen sockets driven from their data/drain callbacks"
          : "Deno.connect/Deno.listen conns, await read/write"
      }.`,
      `"-> C peer": this process is the client of the C peer; "in-process": client and server both here (ours/ours, native/native).`,
      `C: the blocking C client against the C peer (two processes), for scale. ` +
      `bulk ${
        BULK >> 20
      } MiB per repetition in 64 KiB chunks; ping-pong ${ASYNC_PINGS} round trips per repetition.`,
    ],
    columns: ["C", NATIVE, "ours"],
    ratios: [["ours", NATIVE], ["ours", "C"]],
    rows,
  };
}

async function dgramTable(dir: string, client: string): Promise<Table> {
  const rows: Row[] = [];
  const batched = hasBatched();
  const control = `${dir}/ctrl.sock`;
  let serial = 0;
  const me = (): string => `${dir}/client-${serial++}.sock`;
  for (const family of ["unix", "udp"] as const) {
    const fam = familyLabel(family);
    for (const op of ["send", "recv"] as const) {
      const m: DgramOp = op === "send" ? "msend" : "mrecv";
      const ext = (cmd: string, pre: string[], o: DgramOp): Factory => () =>
        external(cmd, [
          ...pre,
          "dgram",
          family,
          control,
          me(),
          o,
          String(DGRAMS),
        ], DGRAMS);
      const cells = await measure({
        C: ext(client, [], op),
        "C mmsg": ext(client, [], m),
        Python: ext(PYTHON, [PY_CLIENT], op),
        ours: () => dgram(family, control, me(), op, DGRAMS),
        "ours mmsg": batched
          ? () => dgram(family, control, me(), m, DGRAMS)
          : "n/a (not yet implemented)",
      });
      rows.push({
        label: op === "send"
          ? `${fam} send 64 B (sendtoSync)`
          : `${fam} recv 64 B (recvfromIntoSync)`,
        unit: "datagrams",
        cells,
        targets: [
          target("ours", "C", 0.7, "unbatched >= 70% of C"),
          target("ours mmsg", "C", 2, "batched >= 2x C one call per datagram"),
        ],
      });
    }
  }
  return {
    title:
      "Issue 4 - 64-byte datagrams, one side timed at a time against the C peer",
    notes: [
      `send rows: time ${DGRAMS} sends into the peer's idle receive queue (64 MiB, forced), which the peer drains afterwards, untimed.`,
      `recv rows: the peer fills our queue with ${DGRAMS} datagrams first (untimed), then we time draining it.`,
      `So each row is the cost of one side's calls alone, with no wake-ups or scheduling of the other side in it.`,
      `C/Python/ours: one sendto/recvfrom per datagram, with the address (64-byte receive buffer); ` +
      `mmsg: sendmmsg/recvmmsg, ${BATCH} per call (ours: sendmmsgSync/recvmmsgSync). ` +
      `unix: both sockets bound to paths and connected to each other. ` +
      `"C mmsg / C" is what batching itself gains here: the kernel's work per datagram dominates.`,
    ],
    columns: ["C", "C mmsg", "Python", "ours", "ours mmsg"],
    ratios: [["ours", "C"], ["ours mmsg", "C mmsg"], ["C mmsg", "C"]],
    rows,
  };
}

function summary(verdicts: Verdict[]): string {
  const met = verdicts.filter((v) => v.met === true).length;
  const missed = verdicts.filter((v) => v.met === false);
  const na = verdicts.filter((v) => v.met === undefined).length;
  const lines = [
    `Targets: ${met} met, ${missed.length} missed, ${na} not measurable`,
  ];
  for (const v of missed) {
    lines.push(
      `  MISSED ${v.row}: ${v.target.subject}/${v.target.reference} = ${
        v.value!.toFixed(2)
      }x, need >= ${v.target.min.toFixed(2)}x (${v.target.text})`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const started = performance.now();
  const pinned = pinSelf();
  const peerBin = build("peer");
  const clientBin = build("client");
  const dir = mkdtempSync(join(tmpdir(), "sockets-bench-"));
  const stream = await startPeer(peerBin, "stream", dir);
  const dgramPeer = await startPeer(peerBin, "dgram", dir);
  const verdicts: Verdict[] = [];
  try {
    console.log(
      `@sockets/socket benchmark under ${runtimeVersion()}; C: ${
        versionOf("gcc", ["--version"])
      } -O2; ${versionOf(PYTHON, ["--version"])}`,
    );
    console.log(`Linux ${release()}, ${cpuModel()}`);
    if (LIB_SPECIFIER !== "../mod.ts") {
      console.log(`Library under test: ${LIB_SPECIFIER} (SOCKETS_BENCH_LIB)`);
    }
    console.log(
      CAN_PIN && pinned
        ? `Pinned to CPU ${CPU} with taskset: this process (all threads: ${selfAffinity()}), the C peer, the C and Python clients.`
        : "NOT pinned (taskset unavailable): figures are noisier.",
    );
    console.log(
      `Each figure: median of ${REPS} repetitions after ${WARMUPS} untimed ones, the clients of a figure taking turns; ` +
        `"±N%" marks a half-spread (max-min)/2 over 10% of the median. Ratios are rate ratios (higher is better for ours).`,
    );
    console.log();
    const endpoint: Endpoint = {
      family: "tcp",
      port: stream.port,
      path: `${dir}/stream.sock`,
    };
    const tables = [await syncTable(endpoint, clientBin)];
    tables.push(await asyncTable(endpoint, dir, clientBin));
    tables.push(await dgramTable(dir, clientBin));
    for (const t of tables) {
      const [text, v] = render(t);
      console.log(text);
      verdicts.push(...v);
    }
    console.log(summary(verdicts));
    console.log(
      `\n(${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  } finally {
    stream.stop();
    dgramPeer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
