// Test helper: the files of tests/fixtures/io/ (written by gen_io.py from
// PyTorch 1.13 and NumPy) and the buffers Lathe must decode them to.
import { readFileSync } from "node:fs";
import type * as lt from "../mod.ts";

/** The bytes of a fixture file. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./fixtures/io/${name}`, import.meta.url)));
}

/** What a fixture array must decode to: dtype, shape and the buffer's bytes as hex. */
export interface Expected {
  dtype: lt.DType;
  shape: number[];
  hex: string;
}

/** expected.json: file → array name → expected buffer. */
export const expected = JSON.parse(
  new TextDecoder().decode(fixtureBytes("expected.json")),
).files as Record<string, Record<string, Expected>>;

/** A tensor's buffer as hex (its exact bits, little-endian). */
export function hexOf(t: lt.Tensor): string {
  const data = t.dataSync();
  return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}
