/**
 * `lstm` and `gru`: torch.nn.LSTM / torch.nn.GRU with `batch_first=True`:
 * stacked cells run over a sequence `[B, T, I]`, returning the last layer's
 * hidden states `[B, T, H]`; `run` also returns the final state
 * (`[layers, B, H]`, torch's `h_n`/`c_n`). Parameters are flat with torch's
 * state-dict names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, …).
 * @module
 */
import * as lt from "../mod.ts";
import type { Tensor } from "../mod.ts";
import { type InitRandom, splitRandom } from "./init.ts";
import type { ApplyOptions, Layer } from "./layers.ts";
import {
  gruCell,
  type GruState,
  lstmCell,
  type LstmState,
  type RecurrentCell,
  type RecurrentCellParams,
  type RecurrentOptions,
} from "./recurrent.ts";

/** Parameters of `lstm`/`gru`: `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`. */
export type RecurrentLayerParams = Record<string, Tensor>;

/** Options of `lstm` and `gru`. */
export interface RecurrentLayerOptions extends RecurrentOptions {
  /** Stacked layers (1 by default); layer k > 0 reads layer k-1's hidden states. */
  numLayers?: number;
}

/** A recurrent layer: `apply` gives the outputs, `run` the outputs and the final state. */
export interface RecurrentLayer<S> extends Layer<RecurrentLayerParams> {
  /** Outputs `[B, T, H]` and the final state (`[layers, B, H]` each) from `x [B, T, I]`. */
  run(params: RecurrentLayerParams, x: Tensor, state?: S): [Tensor, S];
}

function stacked<S extends { readonly h: Tensor }>(
  kind: string,
  make: (input: number, hidden: number, o: RecurrentOptions) => RecurrentCell<S>,
  cellState: readonly (keyof S & string)[],
  inputSize: number,
  hiddenSize: number,
  options: RecurrentLayerOptions,
): RecurrentLayer<S> {
  lt.checkOptions(kind, options, ["bias", "numLayers"]);
  const layers = options.numLayers ?? 1;
  if (!Number.isInteger(layers) || layers < 1) {
    throw new RangeError(`${kind}() expected numLayers to be a positive integer: found ${layers}`);
  }
  const cells = Array.from(
    { length: layers },
    (_, k) => make(k === 0 ? inputSize : hiddenSize, hiddenSize, { bias: options.bias }),
  );
  const name = `${kind}(${inputSize} → ${hiddenSize}, ${layers} layer${layers > 1 ? "s" : ""})`;
  const names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] as const;
  const cellParams = (p: RecurrentLayerParams, k: number): RecurrentCellParams =>
    Object.fromEntries(
      names.flatMap((n) => (p[`${n}_l${k}`] ? [[n, p[`${n}_l${k}`]]] : [])),
    ) as unknown as RecurrentCellParams;
  const run = (params: RecurrentLayerParams, x: Tensor, state?: S): [Tensor, S] => {
    if (!(x instanceof lt.Tensor) || x.shape.length !== 3 || x.shape[2] !== inputSize) {
      throw new RangeError(
        `${name}.apply() expected a batch-first sequence [batch, time, ${inputSize}]: found ${
          x instanceof lt.Tensor ? `[${x.shape.join(", ")}]` : typeof x
        }`,
      );
    }
    const [batch, time] = x.shape;
    // time-major [T, B, ·] so that each layer is one scan over axis 0: compiled once under jit
    let seq = x.transpose(0, 1);
    const finals: S[] = [];
    for (let k = 0; k < layers; k++) {
      const zeros = lt.zeros([batch, hiddenSize], { dtype: x.dtype, device: x.device });
      const s0 = Object.fromEntries(
        cellState.map((n) => [n, state === undefined ? zeros : (state[n] as Tensor).select(0, k)]),
      ) as unknown as S;
      const p = cellParams(params, k);
      const [last, hs] = lt.scan(
        (s: S, xt: Tensor) => {
          const next = cells[k].step(p, xt, s);
          return [next, next.h] as const;
        },
        s0,
        seq,
        { length: time },
      );
      finals.push(last);
      seq = hs;
    }
    const parts = finals as unknown as Record<string, Tensor>[];
    const final = Object.fromEntries(
      Object.keys(parts[0]).map((n) => [n, lt.stack(parts.map((f) => f[n]))]),
    ) as unknown as S;
    return [seq.transpose(0, 1), final];
  };
  return {
    name,
    init: (rng: InitRandom) => {
      const rngs = splitRandom(rng, layers);
      return Object.fromEntries(
        cells.flatMap((c, k) => Object.entries(c.init(rngs[k])).map(([n, t]) => [`${n}_l${k}`, t])),
      );
    },
    apply: (params: RecurrentLayerParams, x: Tensor, _options?: ApplyOptions) => run(params, x)[0],
    run,
  };
}

/**
 * torch.nn.LSTM (batch first): `numLayers` stacked LSTM cells over a sequence.
 * @param inputSize I
 * @param hiddenSize H
 * @param options `numLayers`, `bias`
 * @returns the layer
 * @example
 * ```ts
 * import { ones, random } from "@lathe/lathe";
 * import { lstm } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const layer = lstm(3, 4, { numLayers: 2 });
 * const [out, { h, c }] = layer.run(layer.init(random.key(0)), ones([2, 5, 3]));
 * assertEquals([out.shape, h.shape, c.shape], [[2, 5, 4], [2, 2, 4], [2, 2, 4]]);
 * ```
 */
export function lstm(
  inputSize: number,
  hiddenSize: number,
  options: RecurrentLayerOptions = {},
): RecurrentLayer<LstmState> {
  return stacked("lstm", lstmCell, ["h", "c"], inputSize, hiddenSize, options);
}

/**
 * torch.nn.GRU (batch first): `numLayers` stacked GRU cells over a sequence.
 * @param inputSize I
 * @param hiddenSize H
 * @param options `numLayers`, `bias`
 * @returns the layer
 * @example
 * ```ts
 * import { ones, random } from "@lathe/lathe";
 * import { gru } from "@lathe/lathe/nn";
 * import { assertEquals } from "@std/assert";
 * const layer = gru(3, 4);
 * assertEquals(layer.apply(layer.init(random.key(0)), ones([2, 5, 3])).shape, [2, 5, 4]);
 * ```
 */
export function gru(
  inputSize: number,
  hiddenSize: number,
  options: RecurrentLayerOptions = {},
): RecurrentLayer<GruState> {
  return stacked("gru", gruCell, ["h"], inputSize, hiddenSize, options);
}
