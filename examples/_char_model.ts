// The char transformer's pieces, shared by examples/char_transformer.ts and
// its PyTorch twin in bench/: the word data (npm `an-array-of-english-words`,
// makemore style: "." opens and closes each word), a small decoder-only
// pre-norm transformer whose parameter tree flattens to the same names as
// the PyTorch module's state dict, the loss, and sampling.
import words from "an-array-of-english-words" with { type: "json" };
import * as lt from "../mod.ts";
import { crossEntropy, embedding, layerNorm, linear, multiHeadAttention } from "../nn/mod.ts";

/** The model's sizes. */
export interface Config {
  vocab: number;
  context: number;
  dim: number;
  heads: number;
  layers: number;
}

/** Characters: index 0 is ".", the word boundary; then a to z. */
export const ALPHABET = ".abcdefghijklmnopqrstuvwxyz";

/** The data: lower-case a–z words of at most `context - 1` letters, shuffled once by `seed`, split 90/10. */
export function loadWords(
  count: number,
  context: number,
  seed: number,
): { train: string[]; val: string[] } {
  const fit = (words as string[]).filter((w) => /^[a-z]+$/.test(w) && w.length < context);
  // a seeded Fisher–Yates shuffle (mulberry32), so the PyTorch side can reuse the split
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = fit.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [fit[i], fit[j]] = [fit[j], fit[i]];
  }
  const chosen = fit.slice(0, count);
  const cut = Math.floor(chosen.length * 0.9);
  return { train: chosen.slice(0, cut), val: chosen.slice(cut) };
}

/**
 * Inputs `[n, context]` (".", the letters, then "." padding) and targets
 * (the next character; -1 after the closing ".", ignored by the loss).
 */
export function encode(list: readonly string[], context: number): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(list.length * context);
  const y = new Int32Array(list.length * context).fill(-1);
  list.forEach((w, r) => {
    const ids = [...w].map((ch) => ALPHABET.indexOf(ch));
    ids.forEach((id, i) => (x[r * context + i + 1] = id));
    [...ids, 0].forEach((id, i) => (y[r * context + i] = id));
  });
  return { x, y };
}

/** The layers (each block: ln1 → causal attention → residual, ln2 → MLP → residual). */
export function makeModel(c: Config) {
  const tok = embedding(c.vocab, c.dim);
  const pos = embedding(c.context, c.dim);
  const ln = layerNorm(c.dim);
  const attn = multiHeadAttention(c.dim, c.heads, { causal: true });
  const fc1 = linear(c.dim, 4 * c.dim);
  const fc2 = linear(4 * c.dim, c.dim);
  const head = linear(c.dim, c.vocab);
  const init = (key: lt.Key) => {
    const k = lt.random.split(key, 4 + 4 * c.layers);
    return {
      tok_emb: tok.init(k[0]),
      pos_emb: pos.init(k[1]),
      blocks: Array.from({ length: c.layers }, (_, i) => ({
        ln1: ln.init(k[4 + 4 * i]),
        attn: attn.init(k[5 + 4 * i]),
        ln2: ln.init(k[4 + 4 * i]),
        fc1: fc1.init(k[6 + 4 * i]),
        fc2: fc2.init(k[7 + 4 * i]),
      })),
      ln_f: ln.init(k[2]),
      head: head.init(k[3]),
    };
  };
  type Params = ReturnType<typeof init>;
  /** Logits `[B, T, vocab]` of ids `[B, T]`. */
  const apply = (p: Params, ids: lt.Tensor): lt.Tensor => {
    const t = ids.shape[1];
    let h = tok.apply(p.tok_emb, ids).add(pos.apply(p.pos_emb, lt.arange(t).to(ids.device)));
    for (const b of p.blocks) {
      h = h.add(attn.apply(b.attn, ln.apply(b.ln1, h)));
      h = h.add(fc2.apply(b.fc2, lt.gelu(fc1.apply(b.fc1, ln.apply(b.ln2, h)))));
    }
    return head.apply(p.head, ln.apply(p.ln_f, h));
  };
  const loss = (p: Params, x: lt.Tensor, y: lt.Tensor): lt.Tensor =>
    crossEntropy(apply(p, x), y, { ignoreIndex: -1 });
  return { init, apply, loss };
}

/** Flattens a parameter tree to torch's state-dict names (`blocks.0.attn.in_proj_weight`). */
export function stateDict(tree: lt.Tree, prefix = ""): Record<string, lt.Tensor> {
  if (tree instanceof lt.Tensor) return { [prefix]: tree };
  const entries = Array.isArray(tree)
    ? tree.map((v, i) => [String(i), v] as const)
    : Object.entries(tree as Record<string, lt.Tree>);
  return Object.assign(
    {},
    ...entries.map(([k, v]) => stateDict(v, prefix === "" ? k : `${prefix}.${k}`)),
  );
}
