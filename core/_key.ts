/**
 * Threefry keys: the immutable `Key`, `key(seed)`, `split` and `foldIn`,
 * and `blocks`, which turns a key into per-element random words.
 * @module
 */
import { fmtValue } from "./ir/errors.ts";
import { threefry2x32 } from "./_threefry.ts";
import { checkSeed } from "./_torch_generator.ts";

/**
 * A random key: the two 32-bit words of a Threefry-2x32 key, immutable.
 * Make one with `key(seed)`, derive more with `split` and `foldIn`.
 */
export class Key {
  readonly #k0: number;
  readonly #k1: number;

  /**
   * Wraps raw key words (as JAX's `wrap_key_data`); prefer `key(seed)`.
   * @param k0 the high word, an integer in [0, 2^32)
   * @param k1 the low word, an integer in [0, 2^32)
   */
  constructor(k0: number, k1: number) {
    for (const w of [k0, k1]) {
      if (!Number.isInteger(w) || w < 0 || w >= 2 ** 32) {
        throw new RangeError(
          `Key() expected two integer words in [0, 2^32): found ${fmtValue(w)}: ` +
            `make keys with random.key(seed)`,
        );
      }
    }
    this.#k0 = k0;
    this.#k1 = k1;
  }

  /** A copy of the key's words, `[high, low]` (JAX's `key_data`). */
  get data(): Uint32Array {
    return new Uint32Array([this.#k0, this.#k1]);
  }

  /** `Key(high, low)`. */
  toString(): string {
    return `Key(${this.#k0}, ${this.#k1})`;
  }

  /** Shows the words in `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** Checks that `value` is a key, for `op`'s first argument. */
export function checkKey(op: string, value: unknown): Key {
  if (value instanceof Key) return value;
  throw new TypeError(
    `${op}() expected a random key as its first argument: found ${fmtValue(value)}: ` +
      `make one with random.key(0) and split it for each use`,
  );
}

const out2 = new Uint32Array(2);

/** Fills `count` outputs: `each(i, hi, lo)` gets the two words of Threefry(key, counter i). */
export function blocks(
  key: Key,
  count: number,
  each: (i: number, hi: number, lo: number) => void,
): void {
  const [k0, k1] = key.data;
  for (let i = 0; i < count; i++) {
    threefry2x32(k0, k1, Math.floor(i / 4294967296), i >>> 0, out2);
    each(i, out2[0], out2[1]);
  }
}

/**
 * Makes a key from an integer seed (JAX's `random.key`): the seed's 64-bit
 * two's complement, split into high and low words.
 * @param seed a safe integer (negative allowed) or a bigint
 * @returns a new key
 * @example Same seed, same key
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * assertEquals(random.key(42).data, new Uint32Array([0, 42]));
 * ```
 */
export function key(seed: number | bigint): Key {
  const bits = checkSeed("key", seed);
  return new Key(Number(bits >> 32n), Number(bits & 0xffffffffn));
}

/**
 * Splits a key into `n` new, independent keys (JAX's `random.split`).
 * Do not use `key` itself afterwards.
 * @param key the key to split
 * @param n how many keys (default 2)
 * @returns `n` keys
 * @example One key per layer
 * ```ts
 * import { random } from "@lathe/lathe";
 * import { assertEquals } from "@std/assert";
 * const keys = random.split(random.key(0), 3);
 * assertEquals(keys.length, 3);
 * ```
 */
export function split(key: Key, n = 2): Key[] {
  checkKey("split", key);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`split() expected a count n >= 0: found ${fmtValue(n)}`);
  }
  const keys: Key[] = [];
  blocks(key, n, (_i, hi, lo) => keys.push(new Key(hi, lo)));
  return keys;
}

/**
 * Derives a key from `key` and an integer (JAX's `random.fold_in`), e.g.
 * one key per step: `foldIn(key, step)`.
 * @param key the base key
 * @param data an integer in [0, 2^32)
 * @returns a new key
 */
export function foldIn(key: Key, data: number): Key {
  const [k0, k1] = checkKey("foldIn", key).data;
  if (!Number.isInteger(data) || data < 0 || data >= 2 ** 32) {
    throw new RangeError(`foldIn() expected an integer in [0, 2^32): found ${fmtValue(data)}`);
  }
  threefry2x32(k0, k1, 0, data, out2);
  return new Key(out2[0], out2[1]);
}
