// Smoke test of the npm build's file formats (installed as "@lathe/lathe"):
// torch's MLP exported to ONNX (tests/fixtures/io/mlp.onnx, copied beside
// this file) gives torch's outputs, and a parameter tree goes through a
// safetensors file, a .npy file and an .npz archive on disk and back bit for
// bit, through the runtime's own file system. Runs unchanged on Node 20+, Bun
// and Deno (--allow-read --allow-write=.); exits non-zero when anything is off.
import * as lt from "@lathe/lathe";
import { importOnnx, linear, relu, sequential } from "@lathe/lathe/nn";
import { assertAllClose } from "@lathe/lathe/testing";

const runtime = globalThis.Deno
  ? `deno ${globalThis.Deno.version.deno}`
  : globalThis.Bun
  ? `bun ${globalThis.Bun.version}`
  : `node ${globalThis.process.version}`;

// ONNX: the file and torch's outputs for it, read from disk by io itself
const model = importOnnx(await lt.io.readBytes("mlp.onnx"));
const ref = (await lt.io.loadSafetensors("onnx_ref.safetensors")).tensors;
const out = model.run({ x: ref.mlp_x5 });
assertAllClose(out.logits, ref.mlp_logits5, { atol: 1e-5, rtol: 0 });
assertAllClose(out.probs, ref.mlp_probs5, { atol: 1e-5, rtol: 0 });

// a parameter tree through each format's file and back, bit for bit
const net = sequential(linear(3, 4), relu, linear(4, 2));
const params = net.init(lt.random.key(0));
const flat = lt.io.stateDict(params);
const same = (a, b, what) => assertAllClose(a, b, { atol: 0, rtol: 0, msg: what });

await lt.io.saveSafetensors("params.safetensors", params, { metadata: { runtime } });
const file = await lt.io.loadSafetensors("params.safetensors");
if (file.metadata.runtime !== runtime) {
  throw new Error(`safetensors metadata came back as ${JSON.stringify(file.metadata)}`);
}
const loaded = lt.io.loadStateDict(net.init(lt.random.key(1)), file.tensors);
for (const [name, t] of Object.entries(lt.io.stateDict(loaded))) same(t, flat[name], name);

await lt.io.saveNpy("weight.npy", flat["0.weight"]);
same(await lt.io.loadNpy("weight.npy"), flat["0.weight"], "weight.npy");

await lt.io.writeBytes("params.npz", lt.io.encodeNpz(params));
const npz = await lt.io.loadNpz("params.npz");
for (const [name, t] of Object.entries(flat)) same(npz[name], t, `params.npz ${name}`);

console.log(
  `${runtime}: importOnnx ran torch's MLP (${model.operators.join(", ")}) to torch's outputs; ` +
    `safetensors, .npy and .npz files round-tripped ${Object.keys(flat).length} tensors`,
);
