// jit(f, { donate }) on WebGPU (jit/runtime/webgpu/device.ts): one-pass kernels write donated
// arguments' GPU buffers, bit-equal to the undonated run; the alias is refused for a later reader.
import { it } from "@std/testing/bdd";
import { assert, assertEquals, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { init, loss, type Params } from "./_donate_mlp.ts";
import { adam, applyUpdates, type OptimizerState } from "../nn/optim.ts";
import { webgpuStats } from "../jit/runtime/webgpu/device.ts";
import { gpuSuite } from "./_gpu.ts";

const suite = gpuSuite("jit_donate_webgpu_test", "adapter");

/** A tree computed on webgpu, so that its data lives in GPU buffers (`.to()` uploads on first use). */
async function onGpu<T extends lt.Tree>(tree: T): Promise<T> {
  const moved = lt.tree.map((t) => t.to("webgpu").mul(1), tree) as T;
  await Promise.all(lt.tree.leaves(moved).map((t) => t.data()));
  return moved;
}

async function bits(t: lt.Tensor): Promise<number[]> {
  return Array.from(new Uint32Array(new Float32Array(await t.data()).buffer));
}

suite("jit donate on webgpu", () => {
  it("an Adam step with donated params and state is bit-equal and keeps their buffers", async () => {
    const opt = adam(0.01);
    const step = (p: Params, s: OptimizerState, x: lt.Tensor, y: lt.Tensor) => {
      const [updates, next] = opt.update(lt.grad(loss)(p, x, y), s, p);
      return [applyUpdates(p, updates), next] as const;
    };
    const [plain, given] = [lt.jit(step), lt.jit(step, { donate: [0, 1] })];
    const x = lt.random.normal(lt.random.key(1), [64, 16]).to("webgpu");
    const y = lt.random.normal(lt.random.key(2), [64, 4]).to("webgpu");
    let p = await onGpu(init());
    let q = await onGpu(init());
    let [s, t] = [opt.init(p), opt.init(q)];
    for (let i = 0; i < 4; i++) {
      [p, s] = plain(p, s, x, y);
      const [old, data] = [q, q.w1.node.deviceData];
      [q, t] = given(q, t, x, y);
      assert(q.w1.node.deviceData === data, `step ${i}: w1 got a new GPU buffer`);
      assertThrows(() => old.w1.add(1), Error, "donated to a jitted function");
    }
    for (const k of ["w1", "b1", "w2", "b2"] as const) {
      assertEquals(await bits(q[k]), await bits(p[k]), k);
    }
  });

  it("refuses the alias while a later kernel still reads the donated argument", async () => {
    const f = lt.jit((w: lt.Tensor) => [w.mul(2), w.mul(3)], { donate: [0] });
    const w = await onGpu(lt.arange(0, 12).reshape([3, 4]));
    const data = w.node.deviceData;
    const [a, b] = f(w);
    assertEquals(Array.from(await a.data()), Array.from({ length: 12 }, (_, i) => 2 * i));
    assertEquals(Array.from(await b.data()), Array.from({ length: 12 }, (_, i) => 3 * i));
    assert(a.node.deviceData !== data && b.node.deviceData === data);
    // one buffer passed twice is not written (and not bound writable beside a read-only binding)
    const v = await onGpu(lt.arange(0, 12));
    const twice = lt.jit((x: lt.Tensor, y: lt.Tensor) => x.add(y), { donate: [0] });
    assertEquals(Array.from(await twice(v, v).data()), Array.from({ length: 12 }, (_, i) => 2 * i));
  });

  it("runs 1,000 donated steps allocating no GPU buffer", async () => {
    const step = lt.jit(
      (s: { w: lt.Tensor; m: lt.Tensor }, g: lt.Tensor) => {
        const m = s.m.mul(0.9).add(g);
        return { w: s.w.sub(m.mul(1e-3)), m };
      },
      { donate: [0] },
    );
    const n = 1 << 14;
    let s = await onGpu({ w: lt.ones([n]), m: lt.zeros([n]) });
    const g = lt.ones([n], { device: "webgpu" }).mul(0.5);
    s = step(s, g);
    await s.w.data();
    const live = webgpuStats().liveBuffers;
    const data = [s.w.node.deviceData, s.m.node.deviceData];
    for (let i = 1; i < 1000; i++) s = step(s, g);
    const got = await s.w.data();
    // (earlier tests' buffers may be collected meanwhile: the count may fall, never grow)
    assert(webgpuStats().liveBuffers <= live, `${webgpuStats().liveBuffers} live, ${live} before`);
    assert(s.w.node.deviceData === data[0] && s.m.node.deviceData === data[1], "new buffers");
    // closed form in float64: m_k = 0.9 m + 0.5, w -= 1e-3 m_k
    let [w, m] = [1, 0];
    for (let i = 0; i < 1000; i++) w -= 1e-3 * (m = 0.9 * m + 0.5);
    assert(Math.abs(got[0] - w) < 1e-4 && got[n - 1] === got[0], `${got[0]} vs ${w}`);
  });
});
