/**
 * The train-step workloads' loss agreement and speed targets (issues #14
 * and #15): after the 55 steps every system's loss must equal PyTorch's,
 * and Lathe must reach >= 1.0x PyTorch eager and >= 2x the best JS peer
 * (jax-js, TensorFlow.js) in the same run.
 * @module
 */
import { best, fmt, mdTable } from "./report.ts";
import type { Key, Measure, SystemReport } from "./peers/common.ts";

/** The workloads with a loss check and targets. */
export const TRAIN_KEYS = ["B7", "B8"] as const;

/**
 * Relative tolerance of the loss check. NOTE: 55 float32 Adam steps amplify
 * rounding: on B7 PyTorch itself gives 0.0038104 on 1 thread and 0.0038456
 * on 2 (float64: 0.0038104), so agreement is checked to 2%.
 */
export const LOSS_RTOL = 0.02;

/**
 * PyTorch's loss after the 55 steps of `key`, when it ran: its 1-thread run's
 * where there is one (deterministic, and equal to PyTorch's float64 run on
 * B7), else the first.
 */
export function torchLoss(peers: readonly SystemReport[], key: Key): number | undefined {
  const ms = peers.find((p) => p.name.startsWith("PyTorch"))?.results[key] ?? [];
  const m = ms.find((m) => "mode" in m && m.mode.endsWith(", 1 thread")) ?? ms[0];
  return m !== undefined && "loss" in m ? m.loss : undefined;
}

/** Whether `loss` equals `ref` within {@linkcode LOSS_RTOL}. */
export function sameLoss(loss: number, ref: number): boolean {
  return Math.abs(loss - ref) <= LOSS_RTOL * Math.abs(ref);
}

/**
 * Marks every JS peer's B7/B8 measure whose loss differs from PyTorch's as
 * WRONG (so the tables show ✗ and leave it out of the ratios).
 */
export function checkPeerLosses(peers: readonly SystemReport[]): void {
  for (const key of TRAIN_KEYS) {
    const ref = torchLoss(peers, key);
    if (ref === undefined) continue;
    for (const p of peers) {
      if (p.name.startsWith("PyTorch")) continue;
      for (const m of p.results[key] ?? []) {
        if ("loss" in m && m.loss !== undefined && !sameLoss(m.loss, ref)) {
          m.mode += ` (loss ${m.loss} vs PyTorch's ${ref}: WRONG)`;
        }
      }
    }
  }
}

const value = (s: SystemReport | undefined, key: Key): Measure | undefined => {
  const m = s ? best(s, key) : undefined;
  return m !== undefined && !("na" in m) && !m.mode.includes("WRONG") ? m : undefined;
};

/**
 * The targets table: per train workload, Lathe ÷ PyTorch eager against 1.0
 * and Lathe ÷ the best JS peer against 2.0, each hit or missed (n/a when a
 * side has no valid number in this run).
 */
export function targetsTable(
  lathe: SystemReport | undefined,
  peers: SystemReport[],
): string {
  const body: string[][] = [];
  for (const key of TRAIN_KEYS) {
    const l = value(lathe, key);
    if (l === undefined) continue;
    const torch = value(peers.find((p) => p.name.startsWith("PyTorch")), key);
    let js: { name: string; m: Measure } | undefined;
    for (const p of peers) {
      const m = p.name.startsWith("PyTorch") ? undefined : value(p, key);
      if (m && (!js || m.value > js.m.value)) js = { name: p.name, m };
    }
    const target = (ref: Measure | undefined, goal: number) => {
      if (ref === undefined) return "n/a (no valid number in this run)";
      const ratio = l.value / ref.value;
      return `${ratio.toFixed(2)}x (target >= ${goal.toFixed(1)}x: ${
        ratio >= goal ? "hit" : "missed"
      })`;
    };
    body.push([
      key,
      `${fmt(l.value)} (${l.mode})`,
      torch ? `${fmt(torch.value)} (${torch.mode})` : "n/a",
      target(torch, 1),
      js ? `${fmt(js.m.value)} (${js.name}, ${js.m.mode})` : "n/a",
      target(js?.m, 2),
    ]);
  }
  const head = [
    "workload",
    "Lathe steps/s",
    "PyTorch eager steps/s",
    "Lathe ÷ PyTorch",
    "best JS peer steps/s",
    "Lathe ÷ best JS peer",
  ];
  return body.length === 0 ? "" : mdTable(head, body);
}
