// The examples of docs/fusion.md: prints the explain() reports quoted there.
//
//   deno run docs/fusion_examples.ts
import * as lt from "../mod.ts";

function show(title: string, text: string): void {
  console.log(`\n=== ${title}\n${text}`);
}

// 1. An elementwise chain with a broadcast: one kernel
const x = lt.tensor([[0.5, -1, 2], [1.5, 0.3, -0.7]]);
const b = lt.tensor([0.1, 0.2, 0.3]);
show("chain", lt.explain(x.mul(2).add(b).relu()).toString());

// 2. Views are index arithmetic: transpose + slice + exp is still one kernel
show("views", lt.explain(x.T.slice([null, null, -1]).exp()).toString());

// 3. A reduction takes its producers (prologue) and its consumer (epilogue)
show("mean of squares", lt.explain(x.sub(1).square().mean({ axis: 1 }).sqrt()).toString());

// 4. softmax over rows: each row reduction runs once per row, in one kernel
const logits = lt.tensor([[1, 2, 3], [1000, 1000, 1001]]);
const probs = lt.softmax(logits);
show(
  "softmax kernels",
  lt.explain(probs).kernels.map((k) => `${k.kind} ${JSON.stringify(k.shape)}: ${k.ops.join(" → ")}`)
    .join("\n"),
);

// 5. matmul + bias + activation: one matmul kernel with an epilogue
const w = lt.linspace(-1, 1, 12).reshape([4, 3]);
const dense = lt.linear(x, w, lt.full([4], 0.1)).relu();
show("dense layer", lt.explain(dense).toString());

// 6. A whole jitted train step: forward, backward, SGD update
const params = { w, b: lt.zeros([4]) };
const y = lt.tensor([[1, 0, 0, 1], [0, 1, 1, 0]]);
const loss = (p: typeof params) => lt.linear(x, p.w, p.b).relu().sub(y).square().mean();
const step = (p: typeof params) => {
  const [value, grads] = lt.valueAndGrad(loss)(p);
  return [lt.tree.map((q, g) => q.sub(g.mul(0.1)), p, grads), value] as const;
};
show(
  "train step kernels",
  lt.explain(step, params).kernels.map((k) =>
    `${k.kind} ${JSON.stringify(k.shape)}: ${k.ops.join(" → ")}`
  ).join("\n"),
);

// The generated JavaScript of examples 1 and 3
show("chain source", lt.explain(x.mul(2).add(b).relu()).kernels[0].source);
show(
  "mean of squares source",
  lt.explain(x.sub(1).square().mean({ axis: 1 }).sqrt()).kernels[0].source,
);
