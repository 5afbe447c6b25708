/**
 * A small WebAssembly binary encoder: a function-body builder with the
 * scalar and SIMD instructions the CPU kernels use, and a module writer
 * (one imported memory, exported functions taking i32 pointers).
 * @module
 */

/** Value types. */
export const I32 = 0x7f;
/** 128-bit vector. */
export const V128 = 0x7b;

/** Scalar opcodes (one byte each). */
export const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  i32LtS: 0x48,
  i32GtS: 0x4a,
  i32GeS: 0x4e,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32DivU: 0x6e,
  i32Eq: 0x46,
  i32And: 0x71,
  select: 0x1b,
  call: 0x10,
  f64Const: 0x44,
  f32DemoteF64: 0xb6,
  f64PromoteF32: 0xbb,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const simd = {
  load: 0x00,
  load8Splat: 0x07,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  f64x2Splat: 0x14,
  i32x4ExtractLane: 0x1b,
  f32x4ExtractLane: 0x1f,
  f32x4ReplaceLane: 0x20,
  i32x4Eq: 0x37,
  i32x4Ne: 0x38,
  i32x4LtS: 0x39,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  not: 0x4d,
  and: 0x4e,
  andnot: 0x4f,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  anyTrue: 0x53,
  f64x2Eq: 0x47,
  f64x2Ne: 0x48,
  f64x2Lt: 0x49,
  f64x2Ge: 0x4c,
  load32Lane: 0x56,
  store8Lane: 0x58,
  store32Lane: 0x5a,
  load32Zero: 0x5c,
  store64Lane: 0x5b,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  i8x16NarrowI16x8U: 0x66,
  f32x4Ceil: 0x67,
  f32x4Floor: 0x68,
  f32x4Trunc: 0x69,
  f32x4Nearest: 0x6a,
  f64x2Trunc: 0x7a,
  f64x2Nearest: 0x94,
  i16x8NarrowI32x4U: 0x86,
  i16x8ExtendLowI8x16U: 0x89,
  i32x4ExtendLowI16x8U: 0xa9,
  i32x4Abs: 0xa0,
  i32x4Neg: 0xa1,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  i32x4Mul: 0xb5,
  i64x2ExtendLowI32x4S: 0xc7,
  i64x2Shl: 0xcb,
  i32x4MinS: 0xb6,
  i32x4MaxS: 0xb8,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
  f64x2Abs: 0xec,
  f64x2Neg: 0xed,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f32x4ConvertI32x4S: 0xfa,
  i32x4TruncSatF64x2SZero: 0xfc,
  f64x2ConvertLowI32x4S: 0xfe,
  /** Relaxed SIMD: a * b + c, fused or not (the engine's choice). */
  f32x4RelaxedMadd: 0x105,
} as const;

function uleb(out: number[], value: number): void {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
}

function sleb(out: number[], value: number): void {
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

const f32Bytes = new Uint8Array(4);
const f32View = new DataView(f32Bytes.buffer);

/** A function body under construction: its parameters are i32, it returns nothing. */
export class Fn {
  readonly code: number[] = [];
  readonly locals: number[] = [];
  constructor(readonly params: number) {}

  /** Declares a local of type `type` and returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params + this.locals.length - 1;
  }
  /** Raw bytes. */
  emit(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  get(l: number): this {
    this.code.push(op.localGet);
    uleb(this.code, l);
    return this;
  }
  set(l: number): this {
    this.code.push(op.localSet);
    uleb(this.code, l);
    return this;
  }
  tee(l: number): this {
    this.code.push(op.localTee);
    uleb(this.code, l);
    return this;
  }
  i32(value: number): this {
    this.code.push(op.i32Const);
    sleb(this.code, value | 0);
    return this;
  }
  /** A SIMD instruction with its immediate bytes. */
  v(opcode: number, ...imm: number[]): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    this.code.push(...imm);
    return this;
  }
  /** A SIMD memory access (`load`, `load32Splat`, `store`) at a constant byte offset. */
  mem(opcode: number, offset = 0): this {
    this.v(opcode, 0);
    uleb(this.code, offset);
    return this;
  }
  /** Replaces 32-bit lane `lane` of a vector (on the stack above an address) with a load. */
  loadLane(lane: number, offset = 0): this {
    this.v(simd.load32Lane, 0);
    uleb(this.code, offset);
    this.code.push(lane);
    return this;
  }
  /** Stores 32-bit lane `lane` of a vector (or 64-bit lane, `wide`; or byte lane, `byte`). */
  storeLane(lane: number, offset = 0, wide = false, byte = false): this {
    this.v(byte ? simd.store8Lane : wide ? simd.store64Lane : simd.store32Lane, 0);
    uleb(this.code, offset);
    this.code.push(lane);
    return this;
  }
  /** A vector of four equal f32 lanes. */
  f32x4(value: number): this {
    f32View.setFloat32(0, value, true);
    return this.#pooled(f32View.getInt32(0, true));
  }
  /** A vector of four equal i32 lanes. */
  i32x4(value: number): this {
    return this.#pooled(value | 0);
  }
  /** Vector constants live in locals set once at the start (TurboFan rematerialises v128.const in loops). */
  #pooled(bits: number): this {
    let l = this.#pool.get(bits);
    if (l === undefined) {
      l = this.local(V128);
      this.#pool.set(bits, l);
      const save = this.code.length;
      this.i32(bits).v(simd.i32x4Splat).set(l);
      this.prologue.push(...this.code.splice(save));
    }
    return this.get(l);
  }
  readonly #pool = new Map<number, number>();
  readonly #pool64 = new Map<number, number>();
  /** A vector of two equal f64 lanes. */
  f64x2(value: number): this {
    let l = this.#pool64.get(value);
    if (l === undefined) {
      l = this.local(V128);
      this.#pool64.set(value, l);
      const bytes = new Uint8Array(new Float64Array([value]).buffer);
      this.prologue.push(op.f64Const, ...bytes, 0xfd, simd.f64x2Splat, op.localSet);
      uleb(this.prologue, l);
    }
    return this.get(l);
  }
  /** Whether the body calls the imported scalar functions (`imported`). */
  importsUsed = false;
  /** Calls imported function `name` of `imported`. */
  callImport(name: keyof typeof imported): this {
    this.importsUsed = true;
    return this.call(importNames.indexOf(name));
  }
  /** Code run before the body (constant locals). */
  readonly prologue: number[] = [];
  /** A lane mask: all ones in lanes below `n`, zeros above. */
  mask(n: number): this {
    this.v(simd.const);
    for (let l = 0; l < 4; l++) for (let b = 0; b < 4; b++) this.code.push(l < n ? 0xff : 0);
    return this;
  }
  /** Calls function `index` of the module. */
  call(index: number): this {
    this.code.push(op.call);
    uleb(this.code, index);
    return this;
  }
  /** Byte shuffle of two vectors by 32-bit lane indices (0-3 first, 4-7 second). */
  shuffle(lanes: readonly number[]): this {
    this.v(simd.shuffle);
    for (const l of lanes) for (let b = 0; b < 4; b++) this.code.push(l * 4 + b);
    return this;
  }
  /** Opens `block`, `loop` or `if` with no result. */
  open(kind: number): this {
    return this.emit(kind, 0x40);
  }
  end(): this {
    return this.emit(op.end);
  }
  br(depth: number, conditional = false): this {
    this.code.push(conditional ? op.brIf : op.br);
    uleb(this.code, depth);
    return this;
  }

  /**
   * `for (i = start; i < end; i += step) body()`, with `start`/`end`
   * pushed by the callbacks (i32). Nothing runs when start >= end.
   */
  loop(i: number, start: () => void, end: () => void, step: number, body: () => void): this {
    start();
    this.set(i).open(op.block).get(i);
    end();
    this.emit(op.i32GeS).br(0, true).open(op.loop);
    body();
    this.get(i).i32(step).emit(op.i32Add).tee(i);
    end();
    this.emit(op.i32LtS).br(0, true).end().end();
    return this;
  }
}

function append(out: number[], bytes: readonly number[]): void {
  for (const b of bytes) out.push(b);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  append(out, body);
}

function vec(out: number[], items: readonly number[][]): number[] {
  uleb(out, items.length);
  for (const item of items) append(out, item);
  return out;
}

function name(s: string): number[] {
  const out: number[] = [];
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

/** The most pages a memory may have (4 GiB): a shared memory must declare a maximum. */
export const MAX_PAGES = 65536;
/** Scalar functions a module may import as `e.<name>` (f64 arguments → f64), with their arities. */
/** The scalar functions a kernel may import, with their arity (`_imports.ts` gives each). */
export const imported = {
  sin: 1,
  cos: 1,
  rem: 2,
  fmod: 2,
} as const;
const importNames = Object.keys(imported) as (keyof typeof imported)[];

/**
 * A module importing memory `e.m` (and, for a single function that calls
 * them, the `imported` functions) and exporting `fns` as `f0`, `f1`, ….
 * @param fns the function bodies
 * @param shared import the memory as shared (for worker threads; maximum {@linkcode MAX_PAGES})
 * @returns the module's bytes
 */
export function wasmModule(fns: readonly Fn[], shared = false): Uint8Array<ArrayBuffer> {
  const arities = [...new Set(fns.map((f) => f.params))];
  const calls = fns.some((f) => f.importsUsed);
  if (calls && fns.length > 1) throw new Error("wasm module: imports with several functions");
  const shift = calls ? importNames.length : 0;
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = arities.map((n) => [0x60, ...vec([], Array(n).fill([I32])), 0x00]);
  // (f64) -> f64 and (f64, f64) -> f64 after the kernels' types
  const F64 = 0x7c;
  const extra = calls ? [[0x60, 1, F64, 1, F64], [0x60, 2, F64, F64, 1, F64]] : [];
  section(out, 1, vec([], [...types, ...extra]));
  // memory limits: flags 0 (min only) or 3 (shared, min and max)
  const limits = shared ? [0x03, 0x00, ...uleb1(MAX_PAGES)] : [0x00, 0x00];
  const imports = [[...name("e"), ...name("m"), 0x02, ...limits]];
  if (calls) {
    for (const f of importNames) {
      const type = types.length + imported[f] - 1;
      imports.push([...name("e"), ...name(f), 0x00, ...uleb1(type)]);
    }
  }
  section(out, 2, vec([], imports));
  section(out, 3, vec([], fns.map((f) => uleb1(arities.indexOf(f.params)))));
  section(out, 7, vec([], fns.map((_, i) => [...name(`f${i}`), 0x00, ...uleb1(i + shift)])));
  const bodies = fns.map((f) => {
    const body = vec([], f.locals.map((t) => [0x01, t]));
    append(body, f.prologue);
    append(body, f.code);
    body.push(op.end);
    const sized: number[] = [];
    uleb(sized, body.length);
    append(sized, body);
    return sized;
  });
  section(out, 10, vec([], bodies));
  return new Uint8Array(out);
}

function uleb1(value: number): number[] {
  const out: number[] = [];
  uleb(out, value);
  return out;
}
