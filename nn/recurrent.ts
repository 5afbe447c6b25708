/**
 * Recurrent layers with torch's gate order, weight names and initialisation:
 * `lstmCell` and `gruCell` (one step), `lstm` and `gru` (stacked layers run
 * over a batch-first sequence `[B, T, I]`, torch's `batch_first=True`).
 * Weights `weight_ih [G·H, I]`, `weight_hh [G·H, H]`, `bias_ih`, `bias_hh`
 * (G = 4 for LSTM: input, forget, cell, output gates; 3 for GRU: reset,
 * update, new), with the `_l{k}` suffix per layer in `lstm`/`gru`, exactly
 * as torch's state dicts name them. `lstm`/`gru` run each layer's time loop
 * through `scan`, so under `jit` the step is compiled once whatever the length.
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";
import { type InitRandom, splitRandom, uniformInit } from "./init.ts";

/** One layer's weights (torch's names). */
export interface RecurrentCellParams {
  /** `[G·H, I]`. */
  readonly weight_ih: Tensor;
  /** `[G·H, H]`. */
  readonly weight_hh: Tensor;
  /** `[G·H]` (absent with `bias: false`). */
  readonly bias_ih?: Tensor;
  /** `[G·H]` (absent with `bias: false`). */
  readonly bias_hh?: Tensor;
}

/** An LSTM's state: hidden `h` and cell `c`, each `[B, H]` (or `[layers, B, H]` for `lstm`). */
export type LstmState = {
  readonly h: Tensor;
  readonly c: Tensor;
};

/** A GRU's state: hidden `h`, `[B, H]` (or `[layers, B, H]` for `gru`). */
export type GruState = {
  readonly h: Tensor;
};

/** A single recurrent step with its parameters. */
export interface RecurrentCell<S> {
  /** A short description, e.g. `lstmCell(10 → 20)`. */
  readonly name: string;
  /** Weights initialised like torch: uniform in ±1/√H. */
  init(rng: InitRandom): RecurrentCellParams;
  /** One step: input `[B, I]` and state to the next state (zeros when omitted). */
  step(params: RecurrentCellParams, x: Tensor, state?: S): S;
}

/** Options of the cells and layers. */
export interface RecurrentOptions {
  /** Biases (true by default, as torch). */
  bias?: boolean;
}

function cellInit(gates: number, input: number, hidden: number, bias: boolean) {
  return (rng: InitRandom): RecurrentCellParams => {
    const bound = 1 / Math.sqrt(hidden);
    const [a, b, c, d] = splitRandom(rng, 4);
    const weights = {
      weight_ih: uniformInit(a, [gates * hidden, input], bound),
      weight_hh: uniformInit(b, [gates * hidden, hidden], bound),
    };
    if (!bias) return weights;
    return {
      ...weights,
      bias_ih: uniformInit(c, [gates * hidden], bound),
      bias_hh: uniformInit(d, [gates * hidden], bound),
    };
  };
}

function checkCell(
  name: string,
  p: RecurrentCellParams,
  gates: number,
  input: number,
  hidden: number,
): void {
  const ok = p?.weight_ih instanceof lt.Tensor && p.weight_hh instanceof lt.Tensor &&
    p.weight_ih.shape.join() === `${gates * hidden},${input}` &&
    p.weight_hh.shape.join() === `${gates * hidden},${hidden}`;
  if (!ok) {
    throw new TypeError(
      `${name}.step() expected params { weight_ih: [${gates * hidden}, ${input}], weight_hh: [${
        gates * hidden
      }, ${hidden}], bias_ih, bias_hh }: pass the params this cell's init() returned`,
    );
  }
}

function checkInput(name: string, x: Tensor, input: number): void {
  if (!(x instanceof lt.Tensor) || x.shape.length !== 2 || x.shape[1] !== input) {
    throw new RangeError(
      `${name}.step() expected an input [batch, ${input}]: found ${
        x instanceof lt.Tensor ? `[${x.shape.join(", ")}]` : typeof x
      }`,
    );
  }
}

/** The `count` gate blocks of `x W_ihᵀ + b_ih` and `h W_hhᵀ + b_hh`, each `[B, H]`. */
function gates(p: RecurrentCellParams, x: Tensor, h: Tensor, count: number): [Tensor[], Tensor[]] {
  const gi = lt.linear(x, p.weight_ih, p.bias_ih);
  const gh = lt.linear(h, p.weight_hh, p.bias_hh);
  return [lt.split(gi, count, -1), lt.split(gh, count, -1)];
}

/**
 * torch.nn.LSTMCell: `i, f, g, o` gates; `c' = f·c + i·g`, `h' = o·tanh(c')`.
 * @param inputSize I
 * @param hiddenSize H
 * @param options `bias`
 * @returns the cell
 * @example One step from zeros
 * ```ts
 * import { ones, random } from "@lathe/lathe";
 * import { lstmCell } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const cell = lstmCell(3, 5);
 * const { h, c } = cell.step(cell.init(random.key(0)), ones([2, 3]));
 * assertEquals([h.shape, c.shape], [[2, 5], [2, 5]]);
 * ```
 */
export function lstmCell(
  inputSize: number,
  hiddenSize: number,
  options: RecurrentOptions = {},
): RecurrentCell<LstmState> {
  lt.checkOptions("lstmCell", options, ["bias"]);
  const name = `lstmCell(${inputSize} → ${hiddenSize})`;
  return {
    name,
    init: cellInit(4, inputSize, hiddenSize, options.bias ?? true),
    step: (params, x, state) => {
      checkCell(name, params, 4, inputSize, hiddenSize);
      checkInput(name, x, inputSize);
      const zeros = lt.zeros([x.shape[0], hiddenSize], { dtype: x.dtype, device: x.device });
      const h = state?.h ?? zeros;
      const c = state?.c ?? zeros;
      const [gi, gh] = gates(params, x, h, 4);
      const [i, f, g, o] = gi.map((t, k) => t.add(gh[k]));
      const next = lt.sigmoid(f).mul(c).add(lt.sigmoid(i).mul(g.tanh()));
      return { h: lt.sigmoid(o).mul(next.tanh()), c: next };
    },
  };
}

/**
 * torch.nn.GRUCell: `r, z, n` gates; `n = tanh(x W_inᵀ + b_in + r·(h W_hnᵀ + b_hn))`,
 * `h' = (1 - z)·n + z·h`.
 * @param inputSize I
 * @param hiddenSize H
 * @param options `bias`
 * @returns the cell
 * @example
 * ```ts
 * import { ones, random } from "@lathe/lathe";
 * import { gruCell } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const cell = gruCell(3, 4);
 * assertEquals(cell.step(cell.init(random.key(0)), ones([2, 3])).h.shape, [2, 4]);
 * ```
 */
export function gruCell(
  inputSize: number,
  hiddenSize: number,
  options: RecurrentOptions = {},
): RecurrentCell<GruState> {
  lt.checkOptions("gruCell", options, ["bias"]);
  const name = `gruCell(${inputSize} → ${hiddenSize})`;
  return {
    name,
    init: cellInit(3, inputSize, hiddenSize, options.bias ?? true),
    step: (params, x, state) => {
      checkCell(name, params, 3, inputSize, hiddenSize);
      checkInput(name, x, inputSize);
      const h = state?.h ??
        lt.zeros([x.shape[0], hiddenSize], { dtype: x.dtype, device: x.device });
      const [[ir, iz, inn], [hr, hz, hn]] = gates(params, x, h, 3);
      const r = lt.sigmoid(ir.add(hr));
      const z = lt.sigmoid(iz.add(hz));
      const n = inn.add(r.mul(hn)).tanh();
      return { h: n.sub(z.mul(n)).add(z.mul(h)) };
    },
  };
}
