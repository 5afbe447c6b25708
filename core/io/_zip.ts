/**
 * The small part of the zip format that `.npz` files use: reading stored and
 * deflated entries (zip64 included, as numpy writes), checking their CRC-32,
 * and writing stored entries with the data aligned to 64 bytes (so arrays
 * inside can be viewed without a copy).
 * @module
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of some bytes (the zip / PNG polynomial). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One entry of a zip file, before decompression. */
export interface ZipEntry {
  /** The file name inside the archive. */
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  /** The CRC-32 of the uncompressed data. */
  readonly crc: number;
  /** The uncompressed size. */
  readonly size: number;
  /** The stored bytes (a view into the archive). */
  readonly data: Uint8Array;
}

function fail(what: string): RangeError {
  return new RangeError(`decodeNpz(): ${what}: the file is truncated or corrupt: save it again`);
}

/**
 * Lists the entries of a zip archive from its central directory.
 * @param bytes the archive
 * @returns the entries, in the directory's order
 */
export function readZip(bytes: Uint8Array): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw fail(
      `no end-of-central-directory record in the last ${
        Math.min(bytes.length, 65557)
      } bytes (not a zip file?)`,
    );
  }
  let count = dv.getUint16(eocd + 10, true);
  let dirOffset = dv.getUint32(eocd + 16, true);
  if (
    (count === 0xffff || dirOffset === 0xffffffff) && eocd >= 20 &&
    dv.getUint32(eocd - 20, true) === 0x07064b50
  ) {
    const z = Number(dv.getBigUint64(eocd - 12, true));
    if (z + 56 > bytes.length || dv.getUint32(z, true) !== 0x06064b50) {
      throw fail(`the zip64 end record at byte ${z} is missing`);
    }
    count = Number(dv.getBigUint64(z + 32, true));
    dirOffset = Number(dv.getBigUint64(z + 48, true));
  }
  const entries: ZipEntry[] = [];
  let at = dirOffset;
  for (let e = 0; e < count; e++) {
    if (at + 46 > bytes.length || dv.getUint32(at, true) !== 0x02014b50) {
      throw fail(`central directory entry ${e} at byte ${at} is missing`);
    }
    const method = dv.getUint16(at + 10, true);
    const crc = dv.getUint32(at + 16, true);
    let compressed = dv.getUint32(at + 20, true);
    let size = dv.getUint32(at + 24, true);
    const nameLength = dv.getUint16(at + 28, true);
    const extraLength = dv.getUint16(at + 30, true);
    const commentLength = dv.getUint16(at + 32, true);
    let local = dv.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // zip64 extra field: the 64-bit values of the fields set to 0xffffffff, in this order
    const extra = at + 46 + nameLength;
    for (let x = extra; x + 4 <= extra + extraLength;) {
      const id = dv.getUint16(x, true);
      const length = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let f = x + 4;
        const next = () => Number(dv.getBigUint64((f += 8) - 8, true));
        if (size === 0xffffffff) size = next();
        if (compressed === 0xffffffff) compressed = next();
        if (local === 0xffffffff) local = next();
      }
      x += 4 + length;
    }
    if (local + 30 > bytes.length || dv.getUint32(local, true) !== 0x04034b50) {
      throw fail(`the local header of "${name}" at byte ${local} is missing`);
    }
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + compressed > bytes.length) {
      throw fail(
        `"${name}" takes bytes ${start}-${
          start + compressed - 1
        }, past the end of the ${bytes.length}-byte file`,
      );
    }
    entries.push({ name, method, crc, size, data: bytes.subarray(start, start + compressed) });
    at = extra + extraLength + commentLength;
  }
  return entries;
}

/**
 * The uncompressed bytes of an entry, CRC-checked. Deflated entries need
 * `DecompressionStream` (Deno, Node 18+, Bun, browsers).
 * @param entry the entry
 * @returns its bytes (a view into the archive for stored entries)
 */
export async function entryBytes(entry: ZipEntry): Promise<Uint8Array> {
  let data: Uint8Array;
  if (entry.method === 0) {
    data = entry.data;
  } else if (entry.method === 8) {
    const Stream =
      (globalThis as { DecompressionStream?: typeof DecompressionStream }).DecompressionStream;
    if (Stream === undefined) {
      throw new TypeError(
        `decodeNpz(): "${entry.name}" is deflate-compressed, which needs DecompressionStream, ` +
          `missing in this runtime: save with np.savez (not savez_compressed), or use Deno, Node 18+ or Bun`,
      );
    }
    const stream = new Blob([entry.data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new Stream("deflate-raw"),
    );
    try {
      data = new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      throw fail(`"${entry.name}" does not inflate (${(e as Error).message})`);
    }
  } else {
    throw new TypeError(
      `decodeNpz(): "${entry.name}" uses zip compression method ${entry.method}: ` +
        `expected 0 (stored) or 8 (deflate): save with np.savez or np.savez_compressed`,
    );
  }
  if (data.length !== entry.size || crc32(data) !== entry.crc) {
    throw fail(
      `"${entry.name}" has ${data.length} bytes with CRC-32 ${crc32(data).toString(16)}, ` +
        `but the directory says ${entry.size} bytes with ${entry.crc.toString(16)}`,
    );
  }
  return data;
}

/**
 * A zip archive of stored (uncompressed) entries, each entry's data starting
 * at a multiple of 64 bytes.
 * @param files name and bytes of each entry
 * @returns the archive
 */
export function writeZip(
  files: readonly { name: string; data: Uint8Array }[],
): Uint8Array<ArrayBuffer> {
  const names = files.map((f) => new TextEncoder().encode(f.name));
  const locals: number[] = [];
  const pads: number[] = [];
  let size = 0;
  files.forEach((f, i) => {
    locals.push(size);
    const head = 30 + names[i].length + 4; // + an alignment extra field's own header
    const pad = (64 - ((size + head) % 64)) % 64;
    pads.push(pad);
    size += head + pad + f.data.length;
  });
  const dirStart = size;
  size += files.reduce((n, _f, i) => n + 46 + names[i].length, 0) + 22;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const crcs = files.map((f) => crc32(f.data));
  const common = (at: number, i: number) => {
    dv.setUint16(at, 20, true); // version needed
    dv.setUint16(at + 2, 0, true); // flags
    dv.setUint16(at + 4, 0, true); // stored
    dv.setUint32(at + 6, 0x00210000, true); // 1980-01-01 00:00
    dv.setUint32(at + 10, crcs[i], true);
    dv.setUint32(at + 14, files[i].data.length, true);
    dv.setUint32(at + 18, files[i].data.length, true);
    dv.setUint16(at + 22, names[i].length, true);
  };
  files.forEach((f, i) => {
    const at = locals[i];
    dv.setUint32(at, 0x04034b50, true);
    common(at + 4, i);
    dv.setUint16(at + 28, 4 + pads[i], true);
    out.set(names[i], at + 30);
    dv.setUint16(at + 30 + names[i].length, 0xd935, true); // zipalign's alignment extra field
    dv.setUint16(at + 32 + names[i].length, pads[i], true);
    out.set(f.data, at + 34 + names[i].length + pads[i]);
  });
  let at = dirStart;
  files.forEach((_f, i) => {
    dv.setUint32(at, 0x02014b50, true);
    dv.setUint16(at + 4, 20, true); // made by
    common(at + 6, i);
    dv.setUint32(at + 42, locals[i], true);
    out.set(names[i], at + 46);
    at += 46 + names[i].length;
  });
  dv.setUint32(at, 0x06054b50, true);
  dv.setUint16(at + 8, files.length, true);
  dv.setUint16(at + 10, files.length, true);
  dv.setUint32(at + 12, at - dirStart, true);
  dv.setUint32(at + 16, dirStart, true);
  return out;
}
