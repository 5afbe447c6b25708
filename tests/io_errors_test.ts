// Corrupt and truncated files: every check of the safetensors, .npy and .npz
// readers gets its own broken file and its exact error text (what was found,
// where, and what to do), never garbage tensors.
import { describe, it } from "@std/testing/bdd";
import { assertRejects, assertThrows } from "@std/assert";
import * as lt from "../mod.ts";
import { writeZip } from "../core/io/_zip.ts";

const { io } = lt;
const enc = new TextEncoder();
const CORRUPT = "the file is truncated or corrupt: save it again";

/** A safetensors file with this header (or raw header text) and data. */
function st(header: unknown, data: number | Uint8Array, rawHeader?: string): Uint8Array {
  const json = enc.encode(rawHeader ?? JSON.stringify(header));
  const body = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

const f32 = (shape: number[], offsets: number[]) => ({
  dtype: "F32",
  shape,
  data_offsets: offsets,
});

function throwsRange(bytes: Uint8Array, message: string): void {
  assertThrows(() => io.decodeSafetensors(bytes), RangeError, `decodeSafetensors(): ${message}`);
}

describe("decodeSafetensors() on broken files", () => {
  const good = io.encodeSafetensors({ a: lt.tensor([1, 2]) });

  it("a file shorter than the header length", () => {
    throwsRange(
      new Uint8Array(5),
      `the file is 5 bytes: expected at least 8 (the header length): ${CORRUPT}`,
    );
  });
  it("a header length past the end", () => {
    throwsRange(
      good.subarray(0, 20),
      `the header length (bytes 0-7) is 56, past the end of the 20-byte file: ${CORRUPT}`,
    );
  });
  it("a header that is not JSON", () => {
    // the parser's own words differ by engine: V8 (Deno, Node) says "Unexpected
    // end of JSON input", JavaScriptCore (Bun) "JSON Parse error: Unexpected EOF"
    const parserSays = (() => {
      try {
        JSON.parse('{"a": ');
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("JSON.parse accepted a truncated object");
    })();
    throwsRange(
      st(0, 0, '{"a": '),
      `the header (bytes 8-13) is not valid UTF-8 JSON (${parserSays}): ${CORRUPT}`,
    );
  });
  it("a header that is not an object, or an entry that is not one", () => {
    throwsRange(st([1], 0), `the header is [1]: expected a JSON object: ${CORRUPT}`);
    throwsRange(
      st({ a: 3 }, 0),
      `header entry "a" is 3: expected {dtype, shape, data_offsets}: ${CORRUPT}`,
    );
  });
  it("an unknown dtype", () => {
    assertThrows(
      () =>
        io.decodeSafetensors(st({ a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, 1)),
      TypeError,
      `decodeSafetensors(): tensor "a" has dtype "F8_E4M3": expected one of F64, F32, F16, BF16, I64, ` +
        `I32, I16, I8, U64, U32, U16, U8, BOOL: convert it to a supported dtype before saving`,
    );
  });
  it("a bad shape or bad data_offsets", () => {
    throwsRange(
      st({ a: f32([-1], [0, 4]) }, 4),
      `tensor "a" has shape [-1]: expected an array of sizes: ${CORRUPT}`,
    );
    throwsRange(
      st({ a: f32([1], [0]) }, 4),
      `tensor "a" has data_offsets [0]: expected [begin, end]: ${CORRUPT}`,
    );
    throwsRange(
      st({ a: f32([0], [4, 0]) }, 4),
      `tensor "a" has data_offsets [4, 0]: expected begin <= end: ${CORRUPT}`,
    );
  });
  it("offsets out of range (and a truncated file)", () => {
    throwsRange(
      st({ a: f32([2], [0, 8]) }, 4),
      `tensor "a" has data_offsets [0, 8] outside the 4 data bytes: ${CORRUPT}`,
    );
    throwsRange(
      good.subarray(0, good.length - 3),
      `tensor "a" has data_offsets [0, 8] outside the 5 data bytes: ${CORRUPT}`,
    );
  });
  it("offsets that do not match shape × dtype size", () => {
    throwsRange(
      st({ a: f32([3], [0, 8]) }, 8),
      `tensor "a" has data_offsets [0, 8] (8 bytes), but F32 of shape [3] takes 12 bytes: ${CORRUPT}`,
    );
  });
  it("overlapping tensors, bytes of no tensor, trailing bytes", () => {
    throwsRange(
      st({ a: f32([2], [0, 8]), b: f32([1], [4, 8]) }, 8),
      `tensors "a" [0, 8] and "b" [4, 8] overlap: ${CORRUPT}`,
    );
    throwsRange(st({ a: f32([1], [4, 8]) }, 8), `data bytes 0-3 belong to no tensor: ${CORRUPT}`);
    throwsRange(
      st({ a: f32([1], [0, 4]) }, 12),
      `the tensors cover 4 data bytes but the file holds 12: ${CORRUPT}`,
    );
  });
  it("bool bytes other than 0 and 1, int64 values outside int32", () => {
    throwsRange(
      st({ m: { dtype: "BOOL", shape: [3], data_offsets: [0, 3] } }, new Uint8Array([1, 0, 2])),
      `tensor "m": bool element 2 is stored as byte 2: expected 0 or 1: the file is corrupt or its dtype is wrong`,
    );
    const big = new Uint8Array(new BigInt64Array([1n, 1n << 40n]).buffer);
    throwsRange(
      st({ i: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, big),
      `tensor "i": integer element 1 is 1099511627776, outside int32 (Lathe's integer dtype): ` +
        `store the values as int32 or a float type instead`,
    );
  });
  it("metadata that is not strings", () => {
    throwsRange(
      st({ __metadata__: { epoch: 3 } }, 0),
      `__metadata__ is {"epoch":3}: expected an object of strings: ${CORRUPT}`,
    );
  });
});

describe("encodeSafetensors() and stateDict() on bad input", () => {
  const a = lt.tensor([1]);
  it("rejects bad metadata, stored dtypes and options", () => {
    assertThrows(
      () => io.encodeSafetensors({ a }, { metadata: { epoch: 3 as never } }),
      TypeError,
      `encodeSafetensors() expected string metadata values: found number at "epoch": use String(value)`,
    );
    assertThrows(
      () => io.encodeSafetensors({ a }, { dtypes: { a: "I32" } }),
      TypeError,
      `encodeSafetensors() cannot store float32 tensor "a" as "I32": expected one of F32, F64, F16, BF16`,
    );
    assertThrows(
      () => io.encodeSafetensors({ a }, { dtypes: { b: "F16" } }),
      TypeError,
      `encodeSafetensors() got dtypes for "b", which is not a tensor of the tree: use one of "a"`,
    );
    assertThrows(
      () => io.encodeSafetensors({ a }, { meta: {} } as never),
      TypeError,
      `encodeSafetensors() got an unknown option "meta": expected one of metadata, dtypes`,
    );
  });
  it("rejects a bare tensor, colliding names and non-tree values", () => {
    assertThrows(
      () => io.stateDict(a),
      TypeError,
      "stateDict() expected a tree of tensors: found a single tensor, which has no name: " +
        "wrap it in an object, e.g. { weight: t }",
    );
    assertThrows(
      () => io.stateDict({ a: { b: a }, "a.b": a }),
      TypeError,
      `stateDict() found two tensors named "a.b": a key with dots collides with a nested path: rename one of them`,
    );
    assertThrows(
      () => io.stateDict({ a: new Map() } as never),
      TypeError,
      `stateDict() expected a tree of tensors: found an object (Map) at "a": keep other values out of the tree`,
    );
  });
});

/** A version 1.0 .npy file with this header text and `data` zero bytes. */
function npy(header: string, data = 0): Uint8Array {
  const head = header.padEnd(117, " ") + "\n";
  const out = new Uint8Array(10 + head.length + data);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(enc.encode(head), 10);
  return out;
}

describe("decodeNpy() on broken files", () => {
  const good = io.encodeNpy(lt.tensor([[1, 2, 3]]));
  const throwsRange = (bytes: Uint8Array, message: string) =>
    assertThrows(() => io.decodeNpy(bytes), RangeError, `decodeNpy(): ${message}`);

  it("a wrong magic or version", () => {
    throwsRange(
      new Uint8Array([1, 2, 3]),
      "the file does not start with \\x93NUMPY (found 3 bytes: 01 02 03): pass the bytes of a .npy file",
    );
    const v9 = good.slice();
    v9[6] = 9;
    throwsRange(v9, "version 9.0 is not one of 1.0, 2.0, 3.0: save it with numpy");
  });
  it("a header length past the end", () => {
    throwsRange(
      good.subarray(0, 40),
      `the header length 118 runs past the end of the 40-byte file: ${CORRUPT}`,
    );
  });
  it("a structured array, an unsupported dtype, a bad shape", () => {
    throwsRange(
      npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
      `the header "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }" lacks 'descr', ` +
        `'fortran_order' or 'shape' (structured arrays are not supported): ${CORRUPT}`,
    );
    assertThrows(
      () => io.decodeNpy(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 8)),
      TypeError,
      "decodeNpy(): the dtype '<c8' is not supported: expected a float (f2 f4 f8), int (i1 i2 i4 i8), " +
        "unsigned (u1 u2 u4 u8) or bool (b1): convert the array with .astype() before saving",
    );
    throwsRange(
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", 8),
      `the shape (a,) is not a tuple of sizes: ${CORRUPT}`,
    );
  });
  it("truncated data and bad bool bytes", () => {
    throwsRange(
      good.subarray(0, good.length - 1),
      `the data holds 11 bytes after the header, but shape (1, 3) of 4-byte elements takes 12: ${CORRUPT}`,
    );
    throwsRange(
      npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 2).fill(5, 128),
      "bool element 0 is stored as byte 5: expected 0 or 1: the file is corrupt or its dtype is wrong",
    );
  });
});

describe("decodeNpz() and the loaders on broken input", () => {
  const good = io.encodeNpz({ w: lt.tensor([1, 2]) });
  it("not a zip, or truncated", async () => {
    await assertRejects(
      () => io.decodeNpz(new Uint8Array(100)),
      RangeError,
      `decodeNpz(): no end-of-central-directory record in the last 100 bytes (not a zip file?): ${CORRUPT}`,
    );
    await assertRejects(
      () => io.decodeNpz(good.subarray(0, good.length - 30)),
      RangeError,
      `decodeNpz(): no end-of-central-directory record in the last 243 bytes (not a zip file?): ${CORRUPT}`,
    );
  });
  it("a CRC-32 mismatch", async () => {
    const bad = good.slice();
    bad[bad.indexOf(0x93) + 100] ^= 1;
    await assertRejects(
      () => io.decodeNpz(bad),
      RangeError,
      `decodeNpz(): "w.npy" has 136 bytes with CRC-32 72db1e0f, but the directory says 136 bytes with e7abca9a: ${CORRUPT}`,
    );
  });
  it("an unknown compression method", async () => {
    const bad = good.slice();
    new DataView(bad.buffer).setUint16(bad.length - 22 - 46 - 5 + 10, 12, true);
    await assertRejects(
      () => io.decodeNpz(bad),
      TypeError,
      `decodeNpz(): "w.npy" uses zip compression method 12: expected 0 (stored) or 8 (deflate): ` +
        "save with np.savez or np.savez_compressed",
    );
  });
  it("a corrupt array inside names the array", async () => {
    const inner = io.encodeNpy(lt.tensor([1, 2]));
    inner[6] = 7;
    await assertRejects(
      () => io.decodeNpz(writeZip([{ name: "w.npy", data: inner }])),
      RangeError,
      `decodeNpz(): array "w": version 7.0 is not one of 1.0, 2.0, 3.0: save it with numpy`,
    );
  });
  it("sources that are not bytes, and failed HTTP responses", async () => {
    await assertRejects(
      () => io.loadSafetensors(42 as never),
      TypeError,
      "loadSafetensors() expected bytes, a Blob, a Response, a ReadableStream, a path or a URL: found Number",
    );
    await assertRejects(
      () => io.loadSafetensors(new Response("x", { status: 404 })),
      TypeError,
      "loadSafetensors() got an HTTP 404 response: expected 200: check the URL",
    );
  });
});
