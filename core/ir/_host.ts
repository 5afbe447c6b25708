/**
 * Host arrays whose values are stale: a buffer updated in place in another
 * memory (a donated embedding table whose rows used were updated in its
 * Wasm copy, `jit`'s `donate`) is not copied back after every step. It is
 * marked stale with the function that writes its values back, and
 * `syncHost` runs that function when the host values are read
 * (`Node.buffer` does for every reader; a compiled program's own launches
 * read the other memory's copy and skip it).
 * @module
 */
import type { DataArray } from "./dtype.ts";

const pending = new WeakMap<DataArray, () => void>();
/** Arrays marked stale and not synced yet (0: every read skips the lookup). */
let count = 0;

/**
 * Marks `array`'s host values stale: `writeBack` copies the current ones in.
 * @param array the host array
 * @param writeBack copies the values into `array` (called at most once)
 */
export function markHostStale(array: DataArray, writeBack: () => void): void {
  if (!pending.has(array)) count++;
  pending.set(array, writeBack);
}

/**
 * Forgets that `array` is stale without writing it back (its values are
 * about to be overwritten whole, or were written back by the caller).
 * @param array the host array
 */
export function clearHostStale(array: DataArray): void {
  if (count > 0 && pending.delete(array)) count--;
}

/**
 * Makes `array`'s host values current (writing them back if stale).
 * @param array the host array
 * @returns the array
 */
export function syncHost<A extends DataArray | undefined>(array: A): A {
  if (count === 0 || array === undefined) return array;
  const writeBack = pending.get(array);
  if (writeBack !== undefined) {
    pending.delete(array);
    count--;
    writeBack();
  }
  return array;
}

/**
 * Whether `array`'s host values are stale (for tests and assertions).
 * @param array the host array
 * @returns true when a write-back is pending
 */
export function isHostStale(array: DataArray): boolean {
  return count > 0 && pending.has(array);
}
