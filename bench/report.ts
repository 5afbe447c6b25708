/**
 * The side-by-side table: per workload, each system's best median (and the
 * mode that gave it), and Lathe ÷ the best peer.
 * @module
 */
import {
  type Key,
  type Measure,
  METRICS,
  type NotAvailable,
  type SystemReport,
} from "./peers/common.ts";

export const fmt = (x: number, digits = 3): string =>
  x >= 100 ? x.toFixed(1) : x.toPrecision(digits);

const isNa = (m: Measure | NotAvailable): m is NotAvailable => "na" in m;
const wrong = (m: Measure) => m.mode.includes("WRONG");

/** The best valid measure (by the metric's direction), else the best wrong one, else n/a. */
export function best(
  sys: SystemReport,
  key: Key,
): Measure | NotAvailable | undefined {
  const all = sys.results[key];
  if (all === undefined || all.length === 0) return undefined;
  const ms = all.filter((m): m is Measure => !isNa(m));
  if (ms.length === 0) return all[0];
  const higher = METRICS.find((m) => m.key === key)!.higher;
  const pool = ms.some((m) => !wrong(m)) ? ms.filter((m) => !wrong(m)) : ms;
  return pool.reduce((a, b) => (higher ? b.value > a.value : b.value < a.value) ? b : a);
}

function cell(m: Measure | NotAvailable | undefined): string {
  if (m === undefined) return "—";
  if (isNa(m)) return `n/a: ${m.na}`;
  const loss = m.loss !== undefined && !wrong(m) ? `, loss ${m.loss.toExponential(4)}` : "";
  return `${fmt(m.value)} (${m.mode}${loss})${wrong(m) ? " ✗" : ""}`;
}

/** A markdown table with padded columns (the layout `deno fmt` gives). */
export function mdTable(head: readonly string[], body: readonly string[][]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const rows = body.map((r) => r.map(esc));
  const width = (s: string) => [...s].length;
  const widths = head.map((h, c) => Math.max(3, width(h), ...rows.map((r) => width(r[c]))));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((x, c) => x + " ".repeat(widths[c] - width(x))).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The side-by-side table over the keys that any system measured. */
export function sideBySide(lathe: SystemReport | undefined, peers: SystemReport[]): string {
  const systems = [...(lathe ? [lathe] : []), ...peers];
  const head = [
    "workload",
    "unit",
    "better",
    ...systems.map((s) => s.name),
    "Lathe ÷ best peer",
  ];
  const body: string[][] = [];
  for (const metric of METRICS) {
    if (!systems.some((s) => s.results[metric.key] !== undefined)) continue;
    const l = lathe ? best(lathe, metric.key) : undefined;
    let top: { v: number; name: string } | undefined;
    for (const p of peers) {
      const m = best(p, metric.key);
      if (m === undefined || isNa(m) || wrong(m)) continue;
      if (!top || (metric.higher ? m.value > top.v : m.value < top.v)) {
        top = { v: m.value, name: p.name };
      }
    }
    const ratio = l && !isNa(l) && !wrong(l) && top
      ? `${(l.value / top.v).toFixed(2)} (vs ${top.name}; ${
        (metric.higher ? l.value >= top.v : l.value <= top.v) ? "Lathe ahead" : "Lathe behind"
      })`
      : "n/a";
    body.push([
      metric.label,
      metric.unit,
      metric.higher ? "higher" : "lower",
      ...systems.map((s) => cell(best(s, metric.key))),
      ratio,
    ]);
  }
  return mdTable(head, body);
}

/** Every mode measured, one line per system and workload. */
export function allModes(systems: SystemReport[]): string[] {
  const lines: string[] = [];
  for (const s of systems) {
    for (const metric of METRICS) {
      const ms = s.results[metric.key]?.filter((m): m is Measure => !isNa(m)) ?? [];
      if (ms.length < 2) continue;
      lines.push(
        `${s.name} ${metric.label} (${metric.unit}): ` +
          ms.map((m) => `${fmt(m.value)} ${m.mode}`).join("; "),
      );
    }
  }
  return lines;
}
