/**
 * Numbers and tables for the benchmark: a measurement is a list of
 * repetitions (seconds, operations); it is reported as the median rate and
 * the time per operation, next to its references, with ratios and targets.
 *
 * @module
 */

/** One timed repetition. */
export interface Rep {
  seconds: number;
  /** Operations done (bytes for throughput, round trips, datagrams). */
  ops: number;
}

/** A measured cell, or why there is none. */
export type Cell = Rep[] | string;

/** The unit a row is counted in. */
export type Unit = "bytes" | "round trips" | "datagrams";

/** Bytes per bulk operation, for the time-per-operation column. */
export const CHUNK = 64 * 1024;

/** The median of the repetitions' rates (operations per second). */
export function medianRate(reps: Rep[]): number {
  const rates = reps.map((r) => r.ops / r.seconds).sort((a, b) => a - b);
  const mid = rates.length >> 1;
  return rates.length % 2 === 1
    ? rates[mid]
    : (rates[mid - 1] + rates[mid]) / 2;
}

/** Half the min-max spread of the rates, relative to the median. */
function spread(reps: Rep[]): number {
  const rates = reps.map((r) => r.ops / r.seconds);
  const m = medianRate(reps);
  return (Math.max(...rates) - Math.min(...rates)) / 2 / m;
}

function si(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/** "2,640 MB/s 24.8us" / "74.1k/s 13.5us": rate and time per operation. */
export function formatCell(cell: Cell, unit: Unit): string {
  if (typeof cell === "string") return cell;
  const rate = medianRate(cell);
  const sp = spread(cell);
  const noisy = sp > 0.1 ? ` ±${(sp * 100).toFixed(0)}%` : "";
  if (unit === "bytes") {
    const us = CHUNK / rate * 1e6;
    return `${(rate / 1e6).toFixed(0)} MB/s ${us.toFixed(1)}µs${noisy}`;
  }
  const us = 1e6 / rate;
  return `${si(rate)}/s ${us.toFixed(2)}µs${noisy}`;
}

/** rate(a) / rate(b), or undefined when either is missing. */
export function ratio(a: Cell, b: Cell): number | undefined {
  if (typeof a === "string" || typeof b === "string") return undefined;
  return medianRate(a) / medianRate(b);
}

/** A target: `rate(subject) / rate(reference) >= min`. */
export interface Target {
  subject: string;
  reference: string;
  min: number;
  /** How the goal was phrased, e.g. "ping-pong within 1.5x of C". */
  text: string;
}

/** One line of a table. */
export interface Row {
  label: string;
  unit: Unit;
  cells: Record<string, Cell>;
  targets?: Target[];
}

/** A printed table: columns of cells, ratio columns, then the targets. */
export interface Table {
  title: string;
  notes: string[];
  columns: string[];
  /** [subject, reference] ratio columns. */
  ratios: [string, string][];
  rows: Row[];
}

/** A target's outcome for one row, for the summary. */
export interface Verdict {
  row: string;
  target: Target;
  value: number | undefined;
  met: boolean | undefined;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** Renders a table and returns its verdicts. */
export function render(t: Table): [string, Verdict[]] {
  const verdicts: Verdict[] = [];
  const header = [
    "figure",
    ...t.columns,
    ...t.ratios.map(([a, b]) => `${a} / ${b}`),
    "target (rate ratio)",
  ];
  const lines = t.rows.map((row) => {
    const cells = t.columns.map((c) =>
      row.cells[c] === undefined ? "" : formatCell(row.cells[c], row.unit)
    );
    const ratios = t.ratios.map(([a, b]) => {
      if (row.cells[a] === undefined || row.cells[b] === undefined) return "";
      const r = ratio(row.cells[a], row.cells[b]);
      return r === undefined ? "-" : `${r.toFixed(2)}x`;
    });
    const targets = (row.targets ?? []).map((g) => {
      const r = ratio(row.cells[g.subject] ?? "", row.cells[g.reference] ?? "");
      const met = r === undefined ? undefined : r >= g.min;
      verdicts.push({ row: row.label, target: g, value: r, met });
      const v = r === undefined
        ? "n/a"
        : `${r.toFixed(2)}x ${met ? "met" : "MISSED"}`;
      return `${g.subject}/${g.reference} >= ${g.min.toFixed(2)}: ${v}`;
    });
    return [row.label, ...cells, ...ratios, targets.join("; ")];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => l[i].length))
  );
  const fmt = (l: string[]): string =>
    l.map((c, i) => pad(c, widths[i])).join("  ").trimEnd();
  const out = [
    t.title,
    ...t.notes.map((n) => `  ${n}`),
    "",
    fmt(header),
    fmt(widths.map((w) => "-".repeat(w))),
    ...lines.map(fmt),
    "",
  ];
  return [out.join("\n"), verdicts];
}
