// NumPy .npy and .npz: numpy-written files (every dtype, both byte orders,
// C and Fortran order, 0-d and empty arrays, stored and deflated archives)
// decode to the exact bits, and Lathe's own files round-trip exactly.
import { describe, it } from "@std/testing/bdd";
import { assertEquals, assertStrictEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { expected, fixtureBytes, hexOf } from "./_io_fixture.ts";

const { io } = lt;
const npy = expected.npy;

describe("decodeNpy()", () => {
  for (const [name, want] of Object.entries(npy)) {
    it(`reads ${name}.npy (written by numpy) as ${want.dtype} ${JSON.stringify(want.shape)}`, () => {
      const t = io.decodeNpy(fixtureBytes(`${name}.npy`));
      assertEquals([t.dtype, t.shape, hexOf(t)], [want.dtype, want.shape, want.hex]);
    });
  }

  it("views a little-endian C-order array in the file's bytes (numpy aligns data to 64)", () => {
    const bytes = fixtureBytes("f8.npy");
    assertStrictEquals(io.decodeNpy(bytes).dataSync().buffer, bytes.buffer);
  });
});

describe("encodeNpy()", () => {
  for (const name of ["f4", "f8", "f2", "i4", "b1", "scalar", "empty", "f8_fortran"]) {
    it(`round-trips ${name} bit for bit`, () => {
      const t = io.decodeNpy(fixtureBytes(`${name}.npy`));
      const again = io.decodeNpy(io.encodeNpy(t));
      assertEquals([again.dtype, again.shape, hexOf(again)], [t.dtype, t.shape, hexOf(t)]);
    });
  }

  it("writes numpy's header: version 1.0, C order, data aligned to 64 bytes", () => {
    const bytes = io.encodeNpy(lt.tensor([[1, 2, 3]], { dtype: "int32" }));
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + bytes[8]));
    assertEquals(header.trimEnd(), "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 3), }");
    assertEquals((10 + bytes[8]) % 64, 0);
    assertEquals(header.at(-1), "\n");
  });

  for (const name of ["f4", "f8", "f2", "i4", "b1", "scalar", "empty"]) {
    it(`writes ${name}.npy byte for byte as numpy does`, () => {
      const bytes = fixtureBytes(`${name}.npy`);
      assertEquals(io.encodeNpy(io.decodeNpy(bytes)), bytes);
    });
  }
});

describe("decodeNpz() and encodeNpz()", () => {
  it("reads np.savez's stored entries (with zip64 local headers)", async () => {
    const arrays = await io.decodeNpz(fixtureBytes("arrays.npz"));
    assertEquals(Object.keys(arrays).sort(), ["flags", "scalar", "weights"]);
    assertEquals(hexOf(arrays.weights), npy.f4.hex);
    assertEquals(hexOf(arrays.flags), npy.b1.hex);
    assertEquals(arrays.scalar.shape, []);
    assertEquals(arrays.scalar.item(), 3.5);
  });

  it("reads np.savez_compressed's deflated entries", async () => {
    const arrays = await io.decodeNpz(fixtureBytes("compressed.npz"));
    assertEquals(hexOf(arrays.weights), npy.f4.hex);
    assertEquals([arrays.ints.shape, hexOf(arrays.ints)], [npy.i4.shape, npy.i4.hex]);
  });

  it("round-trips a tree by path names, with aligned (viewed) entries", async () => {
    const tree = {
      layers: [{ w: lt.tensor([[1, 2]]), b: lt.tensor([0.5]) }],
      mask: lt.tensor([true, false]),
      half: lt.tensor([1.5, -0], { dtype: "float16" }),
    };
    const bytes = io.encodeNpz(tree);
    const arrays = await io.decodeNpz(bytes);
    assertEquals(Object.keys(arrays).sort(), ["half", "layers.0.b", "layers.0.w", "mask"]);
    for (const [name, t] of Object.entries(io.stateDict(tree))) {
      assertEquals([arrays[name].dtype, arrays[name].shape, hexOf(arrays[name])], [
        t.dtype,
        t.shape,
        hexOf(t),
      ]);
    }
    assertStrictEquals(arrays["layers.0.w"].dataSync().buffer, bytes.buffer);
    const loaded = io.loadStateDict(tree, arrays);
    assertEquals(loaded.layers[0].w.toArray(), [[1, 2]]);
  });
});
