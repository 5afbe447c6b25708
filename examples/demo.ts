// A tour of Lathe: lazy tensors, PyTorch-like printing, fused kernels and
// helpful errors. Run it with `deno task demo`.
import * as lt from "../mod.ts";

function section(title: string): void {
  console.log(`\n── ${title} ${"─".repeat(Math.max(0, 60 - title.length))}`);
}

section("Tensors print like PyTorch");
const x = lt.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
console.log("x =", x);
console.log("shape", x.shape, "dtype", x.dtype);
console.log("x.T @ x =", x.T.matmul(x));
console.log("arange(12).reshape([3, 4]).slice(null, [null, null, -1]) =");
console.log(lt.arange(12).reshape([3, 4]).slice(null, [null, null, -1]));

section("Seed 000: a 3 → 4 → 1 ReLU network, forward pass");
const X = lt.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]);
const w1 = lt.linspace(-1, 1, 12).reshape([3, 4]);
const b1 = lt.full([4], 0.1);
const w2 = lt.tensor([[0.5], [-0.25], [1.0], [0.75]]);
const b2 = lt.tensor([[0.05]]);
const y = lt.tensor([[1.0], [0.0]]);
const hidden = lt.relu(X.matmul(w1).add(b1));
const out = hidden.matmul(w2).add(b2);
const mse = out.sub(y).square().mean();
console.log("prediction =", out);
console.log("MSE loss   =", mse.item().toFixed(6));

section("Nothing runs until you ask: explain() shows the fused kernels");
const chain = lt.sigmoid(X.mul(2).add(1)).mul(lt.relu(X)).sub(X.mul(0.5));
console.log("sigmoid(x*2+1)*relu(x) - 0.5*x:");
console.log(lt.explain(chain).toString());
const probs = lt.softmax(lt.tensor([[1, 2, 3], [1000, 1000, 1001]]));
const softmaxKernels = lt.explain(probs).kernels;
// the count comes from explain(), so the caption cannot drift from what runs
console.log(
  `\nsoftmax over rows: ${softmaxKernels.length} kernel(s) for max, sum of exp and normalise:`,
);
for (const k of softmaxKernels) console.log(" ", k.kind, k.backend, k.ops.join(" → "));
console.log(probs);
console.log("\ndense layer relu(X @ W + b) is a single matmul kernel with a fused epilogue:");
const dense = lt.linear(X, w1.T, b1).relu();
for (const k of lt.explain(dense).kernels) console.log(" ", k.kind, k.ops.join(" → "));

section("Errors say what was expected, what came, and how to fix it");
const tryIt = (label: string, fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    console.log(`${label}\n  ${(e as Error).name}: ${(e as Error).message}`);
  }
};
tryIt("randn([1,5]) @ randn([1,5]):", () => lt.ones([1, 5]).matmul(lt.ones([1, 5])));
tryIt("seed 000's bias 4x1 against a 2x4 hidden layer:", () => X.matmul(w1).add(lt.ones([4, 1])));
tryIt("a ragged nested array:", () => lt.tensor([[1, 2], [3]]));
tryIt("reshape to the wrong size:", () => x.reshape([4, 2]));

section("Stats");
console.log(lt.kernelStats());
