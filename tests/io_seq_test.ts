// A torch module with MultiheadAttention (batch_first), a 2-layer LSTM, a GRU
// and a Linear (tests/fixtures/io/gen_seq.py, torch 1.13): its state_dict
// loads into Lathe's layers by torch's own parameter names, and every output
// (attention, LSTM outputs and final h/c, GRU outputs, logits) equals torch's:
// 1e-5 in float32, 1e-6 in float64.
import { describe, it } from "@std/testing/bdd";
import { assertEquals } from "@std/assert";
import * as lt from "../mod.ts";
import { gru, linear, lstm, multiHeadAttention } from "../nn/mod.ts";
import { assertClose } from "./_close.ts";
import { fixtureBytes } from "./_io_fixture.ts";

const { io } = lt;
const load = (name: string) => io.decodeSafetensors(fixtureBytes(name)).tensors;
const ref = load("seq_ref.safetensors");

const attn = multiHeadAttention(8, 2);
const rnn = lstm(8, 6, { numLayers: 2 });
const cell = gru(8, 5);
const head = linear(6, 3);

describe("a torch state_dict of MultiheadAttention, LSTM, GRU and Linear", () => {
  for (const [dtype, atol] of [["float32", 1e-5], ["float64", 1e-6]] as const) {
    it(`loads by torch's names and gives torch's ${dtype} outputs`, () => {
      const keys = lt.random.split(lt.random.key(0), 4);
      const template = lt.tree.map((t) => t.astype(dtype), {
        attn: attn.init(keys[0]),
        lstm: rnn.init(keys[1]),
        gru: cell.init(keys[2]),
        head: head.init(keys[3]),
      });
      const sd = load(`seq_${dtype === "float32" ? "f32" : "f64"}.safetensors`);
      const p = io.loadStateDict(template, sd); // strict: every tensor of the file is used
      assertEquals(Object.keys(io.stateDict(p)).length, Object.keys(sd).length);
      const sfx = dtype === "float32" ? "_f32" : "_f64";
      const x = ref[`x${sfx}`];
      const check = (t: lt.Tensor, name: string) => {
        assertEquals(t.dtype, dtype);
        assertClose(t, ref[name + sfx].toArray(), { atol, rtol: 0 });
      };
      const a = attn.apply(p.attn, x);
      check(a, "attn");
      const [y, { h, c }] = rnn.run(p.lstm, a);
      check(y, "lstm");
      check(h, "h");
      check(c, "c");
      check(cell.apply(p.gru, a), "gru");
      check(head.apply(p.head, y.select(1, -1)), "logits");
    });
  }
});
