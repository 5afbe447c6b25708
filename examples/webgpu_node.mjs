// Lathe on a GPU under Node or Bun: WebGPU comes from the npm package
// `webgpu` (Dawn, prebuilt), passed to `device()`. Trains a small tanh MLP on
// sin(x) with a jitted Adam step on the GPU and on the CPU from the same
// weights, and checks that both runs give the same numbers.
//
//   npm install webgpu@0.6.2 /path/to/lathe-lathe-0.1.0.tgz
//   node webgpu_node.mjs     (Bun: EGL_PLATFORM=surfaceless bun webgpu_node.mjs)
//
// Dawn's OpenGL ES backend (Mesa, headless) is a "compatibility" adapter:
// EGL_PLATFORM=surfaceless, backend=opengles and featureLevel below. On a
// machine with Vulkan, Metal or D3D12, `create([])` with no adapter options
// gives a core adapter instead. Exits 0 with a note when Dawn finds no adapter.
// Node passes this to Dawn; Bun does not: there, set EGL_PLATFORM in the environment
process.env.EGL_PLATFORM ??= "surfaceless";
const { create } = await import("webgpu");
const lt = await import("@lathe/lathe");
const { linear, mse, sequential, tanh } = await import("@lathe/lathe/nn");
const { adam, applyUpdates } = await import("@lathe/lathe/optim");
const { assertAllClose } = await import("@lathe/lathe/testing");

const runtime = globalThis.Bun ? `bun ${globalThis.Bun.version}` : `node ${process.version}`;
const gpu = await lt.device("webgpu", {
  gpu: create(["backend=opengles"]),
  adapter: { featureLevel: "compatibility" },
});
if (gpu !== "webgpu") {
  console.log(`${runtime}: Dawn found no WebGPU adapter here: the GPU example is skipped`);
  process.exit(0);
}

const model = sequential(linear(1, 32), tanh, linear(32, 32), tanh, linear(32, 1));
const x = lt.linspace(-3, 3, 64).reshape([64, 1]);
const y = lt.sin(x);
const optimizer = adam(0.01);
const step = lt.jit((p, s, x, y) => {
  const [value, grads] = lt.valueAndGrad((q) => mse(model.apply(q, x), y))(p);
  const [updates, next] = optimizer.update(grads, s, p);
  return [applyUpdates(p, updates), next, value];
});

/** Trains 200 steps on `dev`; returns the losses and the final weights, read to the cpu. */
async function train(dev) {
  const onDev = (tree) => lt.tree.map((t) => t.to(dev), tree);
  let params = onDev(model.init(lt.random.key(0)));
  let state = optimizer.init(params);
  const [xs, ys] = onDev([x, y]);
  const losses = [];
  for (let i = 0; i < 200; i++) {
    let value;
    [params, state, value] = step(params, state, xs, ys);
    losses.push(value); // read once at the end: no GPU round trip per step
  }
  return await lt.toCpu({ losses, params });
}

const start = performance.now();
const onGpu = await train("webgpu");
const seconds = (performance.now() - start) / 1000;
const onCpu = await train("cpu");
const first = onGpu.losses[0].item();
const last = onGpu.losses[199].item();
// the same losses and weights on both devices, within float32 rounding
const cpuLeaves = lt.tree.leaves(onCpu);
lt.tree.leaves(onGpu).forEach((t, i) => assertAllClose(t, cpuLeaves[i], { atol: 1e-4 }));
if (!(last < first / 10)) throw new Error(`loss did not fall: ${first} → ${last}`);
console.log(
  `${runtime}: trained on webgpu (Dawn) in ${seconds.toFixed(1)} s, loss ` +
    `${first.toFixed(4)} → ${last.toFixed(4)}, losses and weights equal to the cpu run's`,
);
