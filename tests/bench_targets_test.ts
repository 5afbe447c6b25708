// The benchmark's train-step verdicts (bench/targets.ts): a peer whose loss
// after the 55 steps differs from PyTorch's is marked wrong and left out, and
// the #14/#15 targets (>= 1.0x PyTorch eager, >= 2x the best JS peer) are
// reported hit or missed from the numbers given.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import type { SystemReport } from "../bench/peers/common.ts";
import { checkPeerLosses, sameLoss, targetsTable, torchLoss } from "../bench/targets.ts";

function system(name: string, b7: number, loss: number, mode = "jit"): SystemReport {
  return { name, version: "", threads: "", info: [], results: { B7: [{ value: b7, mode, loss }] } };
}

describe("bench targets", () => {
  it("sameLoss() accepts 2% and rejects more", () => {
    assert(sameLoss(0.0038456, 0.0038104)); // PyTorch 2 threads vs 1 thread: 0.9%
    assert(sameLoss(1.019, 1));
    assert(!sameLoss(1.0201, 1));
    assert(!sameLoss(NaN, 1));
  });

  it("checkPeerLosses() marks a peer whose loss differs from PyTorch's", () => {
    const torch = system("PyTorch", 2, 0.0038104, "eager");
    const good = system("jax-js", 1, 0.00381);
    const bad = system("tfjs-wasm", 1, 0.0045);
    checkPeerLosses([good, bad, torch]);
    assertEquals(good.results.B7?.[0], { value: 1, mode: "jit", loss: 0.00381 });
    assertStringIncludes(
      (bad.results.B7?.[0] as { mode: string }).mode,
      "(loss 0.0045 vs PyTorch's 0.0038104: WRONG)",
    );
  });

  it("torchLoss() takes PyTorch's 1-thread loss when it ran on 1 and 2 threads", () => {
    const torch = system("PyTorch", 2.75, 0.0038456, "eager, 2 threads");
    torch.results.B7!.push({ value: 24, mode: "eager, 1 thread", loss: 0.0038104 });
    assertEquals(torchLoss([torch], "B7"), 0.0038104);
    assertEquals(torchLoss([system("PyTorch", 2, 0.5, "eager")], "B7"), 0.5);
    assertEquals(torchLoss([system("jax-js", 2, 0.5)], "B7"), undefined);
  });

  it("targetsTable() reports each target hit or missed against the best valid peer", () => {
    const lathe = system("Lathe", 3, 0.0038);
    const torch = system("PyTorch", 2, 0.0038, "eager");
    const jax = system("jax-js", 1, 0.0038);
    const tfjs = system("tfjs-wasm", 2.5, 0.0038);
    const row = (table: string) => table.split("\n")[2];
    const t = row(targetsTable(lathe, [jax, tfjs, torch]));
    assertStringIncludes(t, "1.50x (target >= 1.0x: hit)");
    assertStringIncludes(t, "2.50 (tfjs-wasm, jit)");
    assertStringIncludes(t, "1.20x (target >= 2.0x: missed)");
    // a peer with a wrong loss no longer counts: jax-js becomes the best JS peer
    tfjs.results.B7![0] = { value: 2.5, mode: "jit (loss 1 vs PyTorch's 0.0038: WRONG)" };
    assertStringIncludes(
      row(targetsTable(lathe, [jax, tfjs, torch])),
      "3.00x (target >= 2.0x: hit)",
    );
    // no PyTorch in the run: that target is n/a, not hit
    assertStringIncludes(row(targetsTable(lathe, [jax])), "n/a (no valid number in this run)");
  });
});
