/**
 * A protobuf wire-format reader, just enough for ONNX files.
 *
 * Why hand-written and not protobufjs: ONNX needs eight message types and
 * five wire rules (varint, fixed32, fixed64, length-delimited, packed
 * repeats); this is ~100 lines with no dependency and no schema to ship,
 * works in every runtime and bundle, and lets tensor data stay a view into
 * the file's bytes. protobufjs would add a package and the onnx.proto schema
 * (or generated code) for the same result.
 * @module
 */

/** One field as stored: its wire type and raw value. */
export type Field =
  | { readonly wire: 0; readonly value: bigint }
  | { readonly wire: 1 | 2 | 5; readonly value: Uint8Array };

/** A decoded message: field number → every occurrence, in order. */
export type Message = Map<number, Field[]>;

function fail(what: string, at: number): RangeError {
  return new RangeError(
    `importOnnx(): the protobuf data is corrupt at byte ${at}: ${what}: export the model again`,
  );
}

function varint(bytes: Uint8Array, pos: { at: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.at >= bytes.length) throw fail("a varint runs past the end", pos.at);
    const b = bytes[pos.at++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
    if (shift > 63n) throw fail("a varint is longer than 10 bytes", pos.at);
  }
}

/**
 * Splits a message's bytes into its fields (nested messages stay bytes).
 * @param bytes the message
 * @returns its fields by number
 */
export function decodeMessage(bytes: Uint8Array): Message {
  const out: Message = new Map();
  const pos = { at: 0 };
  while (pos.at < bytes.length) {
    const start = pos.at;
    const key = Number(varint(bytes, pos));
    const wire = key & 7;
    const number = key >>> 3;
    let field: Field;
    if (wire === 0) {
      field = { wire, value: varint(bytes, pos) };
    } else if (wire === 1 || wire === 5 || wire === 2) {
      const length = wire === 1 ? 8 : wire === 5 ? 4 : Number(varint(bytes, pos));
      if (pos.at + length > bytes.length) {
        throw fail(`field ${number} takes ${length} bytes, past the end`, start);
      }
      field = { wire, value: bytes.subarray(pos.at, pos.at + length) };
      pos.at += length;
    } else {
      throw fail(`field ${number} has wire type ${wire} (expected 0, 1, 2 or 5)`, start);
    }
    const list = out.get(number);
    if (list === undefined) out.set(number, [field]);
    else list.push(field);
  }
  return out;
}

/** The bytes of every occurrence of a length-delimited field. */
export function bytesOf(m: Message, n: number): Uint8Array[] {
  return (m.get(n) ?? []).flatMap((f) => (f.wire === 2 ? [f.value] : []));
}

/** The sub-messages of a field. */
export function messages(m: Message, n: number): Message[] {
  return bytesOf(m, n).map(decodeMessage);
}

/** The last string of a field, or `fallback`. */
export function string(m: Message, n: number, fallback = ""): string {
  const all = bytesOf(m, n);
  return all.length === 0 ? fallback : new TextDecoder().decode(all[all.length - 1]);
}

/** Every string of a repeated field. */
export function strings(m: Message, n: number): string[] {
  return bytesOf(m, n).map((b) => new TextDecoder().decode(b));
}

/** Every integer of a repeated (packed or not) int32/int64 field, as signed numbers. */
export function ints(m: Message, n: number): number[] {
  const out: number[] = [];
  for (const f of m.get(n) ?? []) {
    if (f.wire === 0) out.push(Number(BigInt.asIntN(64, f.value)));
    else if (f.wire === 2) {
      const pos = { at: 0 };
      while (pos.at < f.value.length) out.push(Number(BigInt.asIntN(64, varint(f.value, pos))));
    }
  }
  return out;
}

/** The last integer of a field, or `fallback`. */
export function int(m: Message, n: number, fallback = 0): number {
  const all = ints(m, n);
  return all.length === 0 ? fallback : all[all.length - 1];
}

/** Every float of a repeated (packed or not) float field. */
export function floats(m: Message, n: number): number[] {
  const out: number[] = [];
  for (const f of m.get(n) ?? []) {
    if (f.wire !== 5 && f.wire !== 2) continue;
    const dv = new DataView(f.value.buffer, f.value.byteOffset, f.value.byteLength);
    for (let i = 0; i + 4 <= f.value.length; i += 4) out.push(dv.getFloat32(i, true));
  }
  return out;
}

/** Every double of a repeated (packed or not) double field. */
export function doubles(m: Message, n: number): number[] {
  const out: number[] = [];
  for (const f of m.get(n) ?? []) {
    if (f.wire !== 1 && f.wire !== 2) continue;
    const dv = new DataView(f.value.buffer, f.value.byteOffset, f.value.byteLength);
    for (let i = 0; i + 8 <= f.value.length; i += 8) out.push(dv.getFloat64(i, true));
  }
  return out;
}
