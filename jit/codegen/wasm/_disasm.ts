/**
 * A small disassembler for the modules `_emit.ts` writes: a WAT-like text
 * listing of each function (params, locals, one instruction per line,
 * indented by block), so `explain()` can show the Wasm that runs. It reads
 * only the instructions the emitter has (names come from its opcode tables);
 * anything else is listed as `unknown` with its byte.
 * @module
 */
import { op, simd } from "./_emit.ts";

/** camelCase table keys to WAT names: `f32x4Add` → `f32x4.add`, `localGet` → `local.get`. */
function watName(key: string, isSimd: boolean): string {
  const snake = (s: string) => s.replace(/([A-Z])/g, "_$1").toLowerCase().replace(/^_/, "");
  const typed = /^(i8x16|i16x8|i32x4|i64x2|f32x4|f64x2|i32|f64|f32)(.*)$/.exec(key);
  if (typed !== null) return `${typed[1]}.${snake(typed[2])}`;
  if (key === "shuffle") return "i8x16.shuffle";
  if (isSimd) return `v128.${snake(key)}`;
  if (key.startsWith("local")) return `local.${snake(key.slice(5))}`;
  return snake(key);
}

const scalarNames = new Map<number, string>(
  Object.entries(op).map(([k, v]) => [v, watName(k, false)]),
);
const simdNames = new Map<number, string>(
  Object.entries(simd).map(([k, v]) => [v, watName(k, true)]),
);
const TYPES: Record<number, string> = { 0x7f: "i32", 0x7b: "v128", 0x7c: "f64", 0x7d: "f32" };

/** A cursor over the module's bytes. */
class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    return this.bytes[this.at++];
  }
  uleb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return result;
    }
  }
  sleb(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return shift < 32 && (b & 0x40) !== 0 ? result | (-1 << shift) : result;
  }
  take(n: number): Uint8Array {
    this.at += n;
    return this.bytes.subarray(this.at - n, this.at);
  }
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** One instruction's immediates, as text. */
function immediates(r: Reader, name: string): string {
  if (name === "block" || name === "loop" || name === "if") {
    r.byte(); // block type: always empty (0x40) in emitted code
    return "";
  }
  if (/^(local\.|br|call)/.test(name)) return ` ${r.uleb()}`;
  if (name === "i32.const") return ` ${r.sleb()}`;
  if (name === "f64.const") return ` ${new DataView(r.take(8).slice().buffer).getFloat64(0, true)}`;
  if (name === "v128.const" || name === "i8x16.shuffle") return ` 0x${hex(r.take(16))}`;
  if (/load|store/.test(name)) {
    r.uleb(); // alignment hint
    const offset = r.uleb();
    const lane = /_lane$/.test(name) ? ` ${r.byte()}` : "";
    return `${offset === 0 ? "" : ` offset=${offset}`}${lane}`;
  }
  if (/_lane$/.test(name)) return ` ${r.byte()}`;
  return "";
}

function listBody(r: Reader, end: number, header: string, lines: string[]): void {
  // locals as runs of one type, numbered from the first after the params
  const runs: [string, number][] = [];
  for (let groups = r.uleb(); groups > 0; groups--) {
    const count = r.uleb();
    const type = TYPES[r.byte()] ?? "?";
    const last = runs[runs.length - 1];
    if (last !== undefined && last[0] === type) last[1] += count;
    else runs.push([type, count]);
  }
  const locals = runs.map(([type, n]) => (n === 1 ? type : `${n}×${type}`)).join(" ");
  lines.push(`${header}${runs.length > 0 ? ` (local ${locals})` : ""}`);
  let depth = 1;
  while (r.at < end) {
    const code = r.byte();
    const name = code === 0xfd ? simdNames.get(r.uleb()) : scalarNames.get(code);
    if (name === undefined) {
      lines.push(`${"  ".repeat(depth)}unknown 0x${code.toString(16)} (listing stops)`);
      r.at = end;
      break;
    }
    if (name === "end" || name === "else") depth--;
    if (name === "end" && r.at === end) break; // the function's own end
    lines.push(`${"  ".repeat(Math.max(depth, 1))}${name}${immediates(r, name)}`);
    if (name === "block" || name === "loop" || name === "if" || name === "else") depth++;
  }
  lines.push(")");
}

/**
 * Lists a module written by `wasmModule` as WAT-like text.
 * @param bytes the module
 * @returns one `(func …)` block per function, instructions one per line
 */
export function disassemble(bytes: Uint8Array): string {
  const r = new Reader(bytes);
  r.at = 8; // magic and version
  const types: number[][] = [];
  const imports: string[] = [];
  const funcTypes: number[] = [];
  const lines: string[] = [];
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.uleb();
    const end = r.at + size;
    if (id === 1) {
      for (let n = r.uleb(); n > 0; n--) {
        r.byte(); // 0x60: a function type
        types.push([...r.take(r.uleb())]);
        r.take(r.uleb());
      }
    } else if (id === 2) {
      for (let n = r.uleb(); n > 0; n--) {
        const module = new TextDecoder().decode(r.take(r.uleb()));
        const field = new TextDecoder().decode(r.take(r.uleb()));
        const kind = r.byte();
        if (kind === 0x02) {
          const flags = r.byte(); // memory limits: min, and max when bit 0 is set
          r.uleb();
          if ((flags & 1) !== 0) r.uleb();
        } else r.uleb();
        imports.push(`${module}.${field}`);
      }
    } else if (id === 3) {
      for (let n = r.uleb(); n > 0; n--) funcTypes.push(r.uleb());
    } else if (id === 10) {
      lines.push(`;; imports: ${imports.join(", ")}`);
      const count = r.uleb();
      for (let f = 0; f < count; f++) {
        const bodyEnd = r.uleb() + r.at;
        const params = (types[funcTypes[f]] ?? []).map((t) => TYPES[t] ?? "?").join(" ");
        listBody(r, bodyEnd, `(func $f${f} (param ${params})`, lines);
        r.at = bodyEnd;
      }
    }
    r.at = end;
  }
  return lines.join("\n");
}
