/**
 * The memory the Wasm kernels share: one `WebAssembly.Memory` with a
 * first-fit free-list allocator, and a cache of resident copies (the design
 * and its reasons: docs/memory.md).
 *
 * Tensor buffers stay ordinary TypedArrays, freed by the garbage collector
 * (`memory.grow` detaches views, and finalizers never run inside a
 * synchronous training loop, so Wasm-owned tensor buffers could not be
 * reclaimed in time). A kernel reads an input through its resident copy,
 * kept in a segmented LRU cache keyed weakly by the array (no finalizers:
 * they cannot run inside a synchronous loop either, and their records pile
 * up there):
 * - *staged* holds copies made with their tensor (`tensor()`), not read yet;
 * - *probation* holds copies read at most once: kernel outputs, whose Wasm
 *   block is adopted as their copy when they are copied out (so chains of
 *   kernels and jit replays whose outputs feed the next call copy nothing
 *   in). It is emptied before the memory grows, so a loop whose outputs die
 *   at once (an eager step read with `dataSync()`), or once read by the
 *   next step (a training loop's parameters), reuses the same few blocks
 *   instead of touching fresh pages every call;
 * - *protected* holds copies read at least twice (an input reused across
 *   calls, a constant).
 * Each is bounded by a budget and drops its least recently used copy first.
 * A copy updated in place by a kernel (a donated table's rows used) holds
 * values its host array lacks: it is *owned* (outside those budgets, in its
 * own of 256 MiB) until the values are written back to the host array
 * (`markStale`, core/ir/_host.ts), as they are when it is dropped.
 *
 * Correct because tensors are immutable. Any other array gets a transient
 * copy on its first read (freed after the launch), so one-shot inputs do
 * not churn the cache; arrays under 4 KiB are always copied in. Where worker threads
 * run kernels the memory is shared (its views then see a
 * `SharedArrayBuffer`; copies out are ordinary arrays).
 * @module
 */

import type { DataArray } from "../../../../core/ir/dtype.ts";
import { MAX_PAGES } from "../../../codegen/wasm/_emit.ts";
import { clearHostStale, markHostStale } from "../../../../core/ir/_host.ts";

const PAGE = 65536;
/** Block alignment, and zero-cost slack after every block for vector reads past the end. */
const ALIGN = 64;
/**
 * Budgets of the cache segments (bytes; protected copies also by number),
 * and the smallest array worth a resident copy.
 */
const STAGED_BUDGET = 64 << 20;
const PROBATION_BUDGET = 16 << 20;
const PROTECTED_BUDGET = 64 << 20;
const MAX_PROTECTED = 512;
/**
 * Bytes of owned copies (`markStale`) beyond which the oldest is written
 * back and dropped: tables dropped by the user while stale are not kept forever.
 */
const OWNED_BUDGET = 256 << 20;
const MIN_CACHED = 4096;
/** The largest array staged when it is made (a quarter of the staged budget). */
const MAX_STAGED = STAGED_BUDGET / 4;

interface Entry {
  readonly ptr: number;
  readonly bytes: number;
  pins: number;
  live: boolean;
  /** Reads by kernels since the copy was made. */
  reads: number;
  segment: Segment;
  /** The host array, while its values are stale (the copy was updated in place: `markStale`). */
  host: DataArray | undefined;
}

/** One segment of the cache: its copies, least recently used first, within a budget. */
class Segment {
  readonly entries = new Map<Entry, true>();
  bytes = 0;
  constructor(readonly budget: number, readonly maxEntries = Infinity) {}

  get over(): boolean {
    return this.bytes > this.budget || this.entries.size > this.maxEntries;
  }

  add(e: Entry): void {
    this.entries.set(e, true);
    this.bytes += e.bytes;
    e.segment = this;
  }

  remove(e: Entry): void {
    this.entries.delete(e);
    this.bytes -= e.bytes;
  }
}

/** A memory with an allocator and a cache of resident array copies. */
export class Heap {
  readonly memory: WebAssembly.Memory;
  /** Free blocks [ptr, size], sorted by address, coalesced. */
  readonly #free: [number, number][] = [[ALIGN, 16 * PAGE - ALIGN]];
  readonly #sizes = new Map<number, number>();
  readonly #resident = new WeakMap<object, Entry>();
  readonly #seen = new WeakSet<object>();
  /** Copies made with their array and not read yet, read at most once, read twice or more. */
  readonly #staged = new Segment(STAGED_BUDGET);
  readonly #probation = new Segment(PROBATION_BUDGET);
  readonly #protected = new Segment(PROTECTED_BUDGET, MAX_PROTECTED);
  /**
   * Copies holding values their host arrays lack (`markStale`): owned, not
   * cached, so outside the cache's budgets (within their own).
   */
  readonly #owned = new Segment(OWNED_BUDGET);
  readonly #pinned: Entry[] = [];
  #view: Float32Array;
  #ints: Int32Array;
  #arena: number | undefined;
  #arenaBytes = 0;
  #touched = 0;
  /** Stale host arrays made current from their copies (`markStale`). */
  writeBacks = 0;

  /** @param shared make the memory shared, for worker threads (kernels must import it so) */
  constructor(readonly shared = false) {
    this.memory = new WebAssembly.Memory(
      shared ? { initial: 16, maximum: MAX_PAGES, shared } : { initial: 16 },
    );
    this.#view = new Float32Array(this.memory.buffer);
    this.#ints = new Int32Array(this.memory.buffer);
  }

  /** A float32 view of the whole memory (renewed after growth: only this heap grows it). */
  get f32(): Float32Array {
    return this.#view;
  }

  /** A view of `n` elements of a dtype at `ptr` (valid until the memory grows). */
  view(dtype: "float32" | "int32" | "bool", ptr: number, n: number): DataArray {
    if (dtype === "bool") return new Uint8Array(this.memory.buffer, ptr, n);
    return (dtype === "int32" ? this.#ints : this.#view).subarray(ptr >> 2, (ptr >> 2) + n);
  }

  /**
   * A new array holding `n` elements of a dtype at `ptr`.
   * NOTE: `new` + `set` rather than `view().slice()`: slicing a view of a
   * (non-shared) Wasm memory copies ~6x slower in V8 (1.9 ms against 0.3 ms
   * for 4 MiB).
   */
  copyOut(dtype: "float32" | "int32" | "bool", ptr: number, n: number): DataArray {
    const array = this.newArray(dtype, n);
    array.set(this.view(dtype, ptr, n) as never);
    return array;
  }

  /** A new host array of `n` elements of a dtype. */
  newArray(dtype: "float32" | "int32" | "bool", n: number): DataArray {
    if (dtype === "bool") return new Uint8Array(n);
    return dtype === "int32" ? new Int32Array(n) : new Float32Array(n);
  }

  /** Copies elements [from, to) of the block at `ptr` to the same places of `array`. */
  copyRange(
    array: DataArray,
    dtype: "float32" | "int32" | "bool",
    ptr: number,
    from: number,
    to: number,
  ): void {
    const per = dtype === "bool" ? 1 : 4;
    array.set(this.view(dtype, ptr + per * from, to - from) as never, from);
  }

  /** Copies a float32, int32 or bool array to `ptr`. */
  write(array: DataArray, ptr: number): void {
    if (array instanceof Float32Array) this.#view.set(array, ptr >> 2);
    else if (array instanceof Uint8Array) new Uint8Array(this.memory.buffer).set(array, ptr);
    else this.#ints.set(array as Int32Array, ptr >> 2);
  }

  /** The smallest array (bytes) worth a resident copy. */
  readonly minCached = MIN_CACHED;

  /** Whether an array is large enough to keep a resident copy of. */
  cacheable(array: DataArray): boolean {
    return array.byteLength >= MIN_CACHED;
  }

  /**
   * A block of at least `bytes` reused by every launch (one at a time): its
   * contents last until the next call.
   * @returns its address, or undefined when memory is exhausted
   */
  arena(bytes: number): number | undefined {
    if (bytes > this.#arenaBytes) {
      if (this.#arena !== undefined) this.free(this.#arena);
      this.#arenaBytes = Math.max(bytes, 2 * this.#arenaBytes);
      this.#arena = this.alloc(this.#arenaBytes);
      if (this.#arena === undefined) this.#arenaBytes = 0;
    }
    return this.#arena;
  }

  /**
   * Drops `array`'s resident copy, if it has one: for an array updated in
   * place (a donated buffer), whose next read by a kernel copies it in again.
   * A stale array gets the copy's values first, unless `discard` (its values
   * are about to be overwritten whole).
   * NOTE: during a run only after the copy's last reader (a pin then outlives the block harmlessly)
   */
  forget(array: DataArray, discard = false): void {
    const e = this.#resident.get(array);
    if (e === undefined || !e.live) return;
    if (discard && e.host !== undefined) {
      clearHostStale(e.host);
      e.host = undefined;
    }
    this.#evict(e);
  }

  /**
   * Marks `array`'s resident copy as the current values after a kernel
   * updated it in place (a donated table's rows used): the host array is
   * stale until read (`Node.buffer`), written to or evicted, when the copy's
   * values are written back (core/ir/_host.ts). The copy is not dropped
   * meanwhile without that write-back.
   * @returns false when `array` has no resident copy
   */
  markStale(array: DataArray): boolean {
    const e = this.#resident.get(array);
    if (e === undefined || !e.live) return false;
    if (e.host === undefined) {
      e.host = array;
      markHostStale(array, () => this.#writeBack(e));
      this.#place(e, this.#owned);
    }
    return true;
  }

  /** Copies a stale host array's values from its resident copy. */
  #writeBack(e: Entry): void {
    const host = e.host;
    if (host === undefined) return;
    e.host = undefined;
    // cached again (trimmed at the next placement)
    e.segment.remove(e);
    this.#protected.add(e);
    clearHostStale(host);
    this.writeBacks++;
    const dtype = host instanceof Float32Array
      ? "float32"
      : host instanceof Int32Array
      ? "int32"
      : "bool";
    host.set(this.view(dtype, e.ptr, host.length) as never);
  }

  /** The address of `array`'s resident copy, if it has one. */
  residentAt(array: DataArray): number | undefined {
    const e = this.#resident.get(array);
    return e !== undefined && e.live ? e.ptr : undefined;
  }

  /**
   * The end of the highest block ever allocated: memory above it has not
   * been written yet, so its pages fault on their first write (a launch
   * that writes there is slower, once).
   */
  get touched(): number {
    return this.#touched;
  }

  /** Bytes in use by resident copies. */
  get cachedBytes(): number {
    return this.#staged.bytes + this.#probation.bytes + this.#protected.bytes + this.#owned.bytes;
  }

  /**
   * Allocates `bytes` (plus slack): from free blocks, else from blocks of
   * probation copies (oldest first), else by growing the memory, else by
   * dropping staged, then protected copies, then owned ones (written back).
   * @returns the address, or undefined when memory is exhausted
   */
  alloc(bytes: number): number | undefined {
    const size = Math.ceil((bytes + ALIGN) / ALIGN) * ALIGN;
    let ptr = this.#fit(size);
    while (ptr === undefined && this.#evictOldest(this.#probation)) ptr = this.#fit(size);
    if (ptr === undefined && this.#grow(size)) ptr = this.#fit(size);
    while (ptr === undefined && this.#evictOldest(this.#staged)) ptr = this.#fit(size);
    while (ptr === undefined && this.#evictOldest(this.#protected)) ptr = this.#fit(size);
    while (ptr === undefined && this.#evictOldest(this.#owned)) ptr = this.#fit(size);
    if (ptr !== undefined) this.#sizes.set(ptr, size);
    if (ptr !== undefined) this.#touched = Math.max(this.#touched, ptr + size);
    return ptr;
  }

  /** Returns a block to the free list. */
  free(ptr: number): void {
    const size = this.#sizes.get(ptr)!;
    this.#sizes.delete(ptr);
    const free = this.#free;
    let i = 0;
    while (i < free.length && free[i][0] < ptr) i++;
    free.splice(i, 0, [ptr, size]);
    // merge with the next block, then with the previous one
    if (i + 1 < free.length && ptr + size === free[i + 1][0]) {
      free[i][1] += free[i + 1][1];
      free.splice(i + 1, 1);
    }
    if (i > 0 && free[i - 1][0] + free[i - 1][1] === ptr) {
      free[i - 1][1] += free[i][1];
      free.splice(i, 1);
    }
  }

  /**
   * The address of a resident copy of `array` (copied in on its second
   * read), pinned until `unpin()`; a small or first-seen array gets a new
   * copy in a block added to `blocks` for the caller to free.
   * @returns the address, or undefined when memory is exhausted
   */
  acquire(array: DataArray, blocks: number[]): number | undefined {
    const small = !this.cacheable(array);
    const known = small ? undefined : this.#resident.get(array);
    if (known !== undefined && known.live) {
      // read once: into probation; twice: protected (an owned copy stays owned)
      known.reads++;
      if (known.segment !== this.#owned) {
        this.#place(known, known.reads >= 2 ? this.#protected : this.#probation);
      }
      this.#pin(known);
      return known.ptr;
    }
    if (small || !this.#seen.has(array)) {
      if (!small) this.#seen.add(array);
      const ptr = this.alloc(array.byteLength);
      if (ptr !== undefined) {
        this.write(array, ptr);
        blocks.push(ptr);
      }
      return ptr;
    }
    const ptr = this.alloc(array.byteLength);
    if (ptr === undefined) return undefined;
    this.write(array, ptr);
    this.#pin(this.adopt(array, ptr, true)!);
    return ptr;
  }

  /**
   * Gives a new array a resident copy now (staged), so that kernels read it
   * with no copy in, as if it had been made in Wasm memory: for arrays from
   * 4 KiB to 16 MiB (larger ones would push out too much, and are copied in
   * when a kernel reads them).
   */
  stage(array: DataArray): void {
    if (!this.cacheable(array) || array.byteLength > MAX_STAGED) return;
    if (this.#resident.get(array)?.live) return;
    const ptr = this.alloc(array.byteLength);
    if (ptr === undefined) return;
    this.write(array, ptr);
    this.#adopt(array, ptr, this.#staged, 0);
  }

  /**
   * Makes the block at `ptr` (holding the same values) the resident copy of
   * `array`, or frees it when the array is too small to cache.
   * @param hot whether the array was read twice already (protected), else
   *   it starts in probation (a kernel's output)
   */
  adopt(array: DataArray, ptr: number, hot = false): Entry | undefined {
    if (!this.cacheable(array)) return void this.free(ptr);
    return this.#adopt(array, ptr, hot ? this.#protected : this.#probation, hot ? 2 : 0);
  }

  #adopt(array: DataArray, ptr: number, segment: Segment, reads: number): Entry {
    const bytes = this.#sizes.get(ptr)!;
    const entry: Entry = { ptr, bytes, pins: 0, live: true, reads, segment, host: undefined };
    this.#resident.set(array, entry);
    segment.add(entry);
    this.#trim(segment, entry);
    return entry;
  }

  /** Moves a copy to the most recently used end of a segment (maybe another one). */
  #place(e: Entry, segment: Segment): void {
    e.segment.remove(e);
    segment.add(e);
    this.#trim(segment, e);
  }

  /** Drops a segment's oldest copies (but `keep`) while it is over its budget. */
  #trim(segment: Segment, keep: Entry): void {
    while (segment.over && this.#evictOldest(segment, keep)) {
      // evicted one
    }
  }

  /** Releases the pins of every `acquire` since the last call. */
  unpin(): void {
    for (const e of this.#pinned) e.pins--;
    this.#pinned.length = 0;
  }

  #pin(e: Entry): void {
    e.pins++;
    this.#pinned.push(e);
  }

  #evict(e: Entry): void {
    this.#writeBack(e);
    e.live = false;
    e.segment.remove(e);
    this.free(e.ptr);
  }

  /** Evicts the least recently used unpinned copy of a segment (but `keep`), if any. */
  #evictOldest(segment: Segment, keep?: Entry): boolean {
    for (const e of segment.entries.keys()) {
      if (e.pins === 0 && e !== keep) {
        this.#evict(e);
        return true;
      }
    }
    return false;
  }

  #fit(size: number): number | undefined {
    const free = this.#free;
    for (let i = 0; i < free.length; i++) {
      const [ptr, avail] = free[i];
      if (avail < size) continue;
      if (avail === size) free.splice(i, 1);
      else free[i] = [ptr + size, avail - size];
      return ptr;
    }
    return undefined;
  }

  #grow(size: number): boolean {
    const old = this.memory.buffer.byteLength;
    const need = Math.ceil(size / PAGE);
    let pages = Math.max(need, Math.ceil(old / PAGE / 2));
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(pages = need);
      } catch {
        return false;
      }
    }
    this.#view = new Float32Array(this.memory.buffer);
    this.#ints = new Int32Array(this.memory.buffer);
    const last = this.#free[this.#free.length - 1];
    if (last !== undefined && last[0] + last[1] === old) last[1] += pages * PAGE;
    else this.#free.push([old, pages * PAGE]);
    return true;
  }
}
