// Gathers and row scatters four elements at a time (jit/codegen/wasm/_scalar.ts contiguousLanes):
// rows whose width is a multiple of 4 are read and added with vector loads and stores, bit-equal
// to the JS reference (repeated rows add in the same order) and to closed forms; other widths and
// element-wise indices stay one element at a time.
import { describe, it } from "@std/testing/bdd";
import { assert, assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { stagedKernels } from "../jit/api/jit.ts";
import { renderScalar } from "../jit/codegen/wasm/_scalar.ts";

const i32 = (v: number[]) => lt.tensor(v, { dtype: "int32" });

function on<T>(backend: lt.CpuBackend, f: () => T): T {
  lt.setCpuBackend(backend);
  try {
    return f();
  } finally {
    lt.setCpuBackend("wasm");
  }
}

/** Bits of `f()` on the Wasm tier (all kernels there) and on the JS reference. */
function both(f: () => lt.Tensor): { wasm: number[]; js: number[] } {
  const bits = (t: lt.Tensor) =>
    Array.from(
      t.dtype === "int32"
        ? t.dataSync() as Int32Array
        : new Uint32Array(Float32Array.from(t.dataSync()).buffer),
    );
  const wasm = on("wasm", () => {
    const t = f();
    assertEquals(lt.explain(t).kernels.filter((k) => k.backend !== "wasm").length, 0);
    return bits(t);
  });
  return { wasm, js: on("js", () => bits(f())) };
}

/**
 * Whether each scalar kernel of `f(...args)` stores four lanes at once: its
 * module holds `v128.store` at offset 0 (bytes fd 0b 00 00; the one-element
 * form stores with f32.store / i32.store, and keeps its constants in memory).
 */
function storesLanes(
  f: (...a: lt.Tensor[]) => lt.Tensor,
  args: lt.Tensor[],
  kinds = ["scatter", "loop"],
): boolean[] {
  const store = (b: Uint8Array) =>
    b.some((x, i) => x === 0xfd && b[i + 1] === 0x0b && b[i + 2] === 0 && b[i + 3] === 0);
  return stagedKernels(f, args)
    .filter((k) => kinds.includes(k.kind))
    .map((k) => renderScalar(k, () => true))
    .filter((bytes) => bytes !== undefined)
    .map((bytes) => store(bytes!));
}

const ids = i32([3, 0, -1, 3, 3, 1, 4, 0]);

describe("Wasm gathers and row scatters four lanes at a time", () => {
  for (const width of [4, 8, 12, 6]) {
    it(`take rows of width ${width} and its gradient (repeated rows) match the reference`, () => {
      const w = lt.random.normal(lt.random.key(width), [5, width]);
      const c = lt.random.normal(lt.random.key(9), [8, width]);
      const lookup = () => w.take(ids, 0).mul(c).add(1);
      const grad = () => lt.grad((w: lt.Tensor) => w.take(ids, 0).mul(c).sum())(w);
      for (const f of [lookup, grad]) {
        const { wasm, js } = both(f);
        assertEquals(wasm, js);
      }
      // closed form: row r of the gradient is the sum of c's rows looked up at r, in order
      const g = on("wasm", () => grad().dataSync());
      const cs = c.dataSync();
      const want = new Float32Array(5 * width);
      Array.from(ids.dataSync()).forEach((r, i) => {
        for (let j = 0; j < width; j++) want[((r + 5) % 5) * width + j] += cs[i * width + j];
      });
      assertEquals(Array.from(g), Array.from(want));
      const lanes = storesLanes((w: lt.Tensor) => w.take(ids, 0).mul(c), [w]);
      assertEquals(lanes, [width % 4 === 0]);
    });
  }

  it("int32 rows, and a donated embedding step, match the reference", () => {
    const t = lt.arange(40).astype("int32").reshape([5, 8]);
    const { wasm, js } = both(() => t.take(ids, 0).mul(3));
    assertEquals(wasm, js);
    assertEquals(wasm.slice(0, 8), [72, 75, 78, 81, 84, 87, 90, 93]);
    const step = (w: lt.Tensor) =>
      w.sub(lt.grad((w: lt.Tensor) => w.take(ids, 0).square().sum())(w).mul(0.1));
    const lanes = storesLanes(step, [lt.zeros([500, 16])]);
    assert(lanes.length >= 2 && lanes.every((x) => x), `${lanes}`);
  });

  it("keeps element-wise scatter indices one element at a time", () => {
    const index = i32([4, 4, 0, 4, 1, 4, 4, 2]).reshape([2, 4]);
    const updates = lt.random.normal(lt.random.key(4), [2, 4]);
    const f = () => lt.scatterAdd(lt.zeros([5, 4]), 0, index, updates.mul(1));
    const { wasm, js } = both(f);
    assertEquals(wasm, js);
    const scatter = (u: lt.Tensor) => lt.scatterAdd(lt.zeros([5, 4]), 0, index, u);
    assertEquals(storesLanes(scatter, [updates], ["scatter"]), [false]);
  });
});
