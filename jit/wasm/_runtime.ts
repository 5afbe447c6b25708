/**
 * The Wasm runtime: feature detection, module instantiation against the
 * shared memory, and kernel launches (inputs made resident, constants and
 * scratch in a temporary block, the output copied out or kept resident).
 * @module
 */
import type { DataArray } from "../../core/dtype.ts";
import { Heap } from "./_memory.ts";
import { remainder } from "../runtime_js.ts";

/** A kernel's exported function: byte addresses in, nothing out. */
export type WasmFn = (...addresses: number[]) => void;

/** A minimal module using `op` (0xfd-prefixed, LEB bytes) on three f32x4 constants. */
function probe(op: number[]): Uint8Array<ArrayBuffer> {
  const c = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const body = [0x00, ...c, ...c, ...c, 0xfd, ...op, 0x1a, 0x0b];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00],
    ...[0x0a, body.length + 2, 0x01, body.length, ...body],
  ]);
}

/** What the engine offers: SIMD (required) and relaxed SIMD (for FMA). */
function detect(): { simd: boolean; relaxed: boolean } {
  try {
    // bitselect pops three vectors and pushes one; relaxed_madd (0x105) likewise
    const simd = WebAssembly.validate(probe([0x52]));
    return { simd, relaxed: simd && WebAssembly.validate(probe([0x85, 0x02])) };
  } catch {
    return { simd: false, relaxed: false };
  }
}

/** Engine features, probed once. */
export const wasmFeatures: { readonly simd: boolean; readonly relaxed: boolean } = detect();

let shared: Heap | undefined;

/** The memory every kernel runs in (made on first use). */
export function heap(): Heap {
  return shared ??= new Heap();
}

/** Frees a run's blocks and releases its pinned inputs. */
export function release(blocks: number[]): void {
  if (shared === undefined) return;
  for (const b of blocks) shared.free(b);
  blocks.length = 0;
  shared.unpin();
}

/**
 * Compiles and instantiates a kernel module against the shared memory.
 * @returns its kernel function, or undefined where the engine refuses it
 *   (e.g. browsers limit synchronous compilation of large modules)
 */
export function instantiate(bytes: Uint8Array<ArrayBuffer>): WasmFn | undefined {
  try {
    const module = new WebAssembly.Module(bytes);
    const e = { m: heap().memory, sin: Math.sin, cos: Math.cos, rem: remainder };
    const instance = new WebAssembly.Instance(module, { e });
    return instance.exports.f0 as WasmFn;
  } catch {
    return undefined;
  }
}

/** Where a value lives during a run: a JS array (maybe reused, so never cached), a Wasm block, or both. */
export interface Value {
  readonly array?: DataArray;
  readonly ptr?: number;
  readonly mutable?: boolean;
}

/** A kernel ready to launch in Wasm. */
export interface WasmLaunch {
  readonly fn: WasmFn;
  readonly scratch: number;
  readonly constants: Float32Array;
  readonly size: number;
  /** The output's element type (float32 when absent). */
  readonly elem?: "float32" | "int32" | "bool";
}

/**
 * What becomes of a kernel's output: `keep` leaves it in a Wasm block (that
 * `blocks` collects for the caller to free); `array` copies it out to a new
 * array; `cached` does too and keeps the block as that array's resident
 * copy, for a kernel that reads it next.
 */
export type Output = "keep" | "array" | "cached";

/** Bytes a block of `n` bytes takes in the arena (with slack for reads past its end). */
function padded(n: number): number {
  return Math.ceil(n / 64) * 64 + 64;
}

/**
 * Runs a Wasm kernel. Constants, scratch, small or mutable inputs and an
 * `array` output go to the launch arena (one block reused by every launch);
 * large inputs are acquired from the heap.
 * @returns the output, or undefined when memory ran out (run it in JS then)
 */
export function launch(
  k: WasmLaunch,
  inputs: readonly Value[],
  output: Output,
  blocks: number[],
): Value | undefined {
  const h = heap();
  // an output too small to cache is copied out from the arena
  const outBytes = (k.elem === "bool" ? 1 : 4) * k.size;
  if (output === "cached" && outBytes < h.minCached) output = "array";
  const inArena = (v: Value) => v.ptr === undefined && (v.mutable || !h.cacheable(v.array!));
  let bytes = padded(4 * k.constants.length) + k.scratch;
  for (const v of inputs) if (inArena(v)) bytes += padded(v.array!.byteLength);
  if (output === "array") bytes += padded(outBytes);
  const arena = h.arena(bytes);
  if (arena === undefined) return undefined;
  const args = [0];
  let at = arena + padded(4 * k.constants.length);
  for (const v of inputs) {
    let ptr = v.ptr;
    if (inArena(v)) {
      ptr = at;
      h.write(v.array!, at);
      at += padded(v.array!.byteLength);
    } else if (ptr === undefined) ptr = h.acquire(v.array!, blocks);
    if (ptr === undefined) return undefined;
    args.push(ptr);
  }
  const out = output === "array" ? at : h.alloc(outBytes);
  if (out === undefined) return undefined;
  if (output === "array") at += padded(outBytes);
  if (at + k.scratch > arena + bytes) {
    throw new Error("wasm launch: arena overflow (internal error)");
  }
  args[0] = out;
  args.push(arena);
  if (k.scratch > 0) args.push(at);
  h.f32.set(k.constants, arena >> 2);
  k.fn.apply(undefined, args);
  if (output === "keep") {
    blocks.push(out);
    return { ptr: out };
  }
  const array = h.view(k.elem ?? "float32", out, k.size).slice();
  if (output === "cached") h.adopt(array, out);
  return { array };
}
