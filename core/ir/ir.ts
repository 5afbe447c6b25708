/**
 * The lazy IR: a `Node` is one operation on its source nodes, with its
 * result's shape and dtype. Nodes are immutable, except that realizing a node
 * caches its buffer on it and drops its sources, so graphs never grow
 * without bound.
 * @module
 */
import type { DataArray, DType } from "./dtype.ts";
import type { Shape } from "./shape.ts";
import type { OpArgs, OpName } from "../ops/registry.ts";
import { siteError } from "./errors.ts";
import { syncHost } from "./_host.ts";

let nextId = 1;

/** Where a tensor's data lives and its kernels run. */
export type Device = "cpu" | "webgpu";

/** Data held by a device other than the CPU (opaque here: its backend knows it). */
export interface DeviceData {
  /** The device holding it. */
  readonly device: Exclude<Device, "cpu">;
}

/** What a node was before realization (kept only while a transform traces). */
export interface Origin {
  /** The primitive. */
  readonly op: OpName;
  /** Its inputs. */
  readonly src: readonly Node[];
  /** Its parameters. */
  readonly arg: unknown;
}

/** Where user code made a node, for errors raised later (gathers, NaN checks). */
export interface CallSite {
  /** The operation the user called (or the primitive, for sites captured by `debugNans`). */
  readonly op: string;
  /** An error made at the call, whose stack holds the user's line. */
  readonly at: Error;
}

const sites = new WeakMap<Node, CallSite>();
let captureSites = false;

/**
 * Captures a call site for every node made from now on (`debugNans`), or
 * stops; off by default, when node creation pays only this flag's check.
 */
export function setCaptureSites(on: boolean): void {
  captureSites = on;
}

/** Whether every new node records its call site. */
export function capturingSites(): boolean {
  return captureSites;
}

/** Records that user code called `op` to make `node` (here, now). */
export function recordSite(node: Node, op: string): void {
  sites.set(node, { op, at: siteError(op) });
}

/** Where a node was made, if recorded. */
export function siteOf(node: Node): CallSite | undefined {
  return sites.get(node);
}

let traceDepth = 0;
let realizedWhileTracing: Node[] = [];

/**
 * Runs `fn` while keeping the history of nodes realized meanwhile (their
 * `origin`), so transforms can walk back through them; the history is
 * dropped when the outermost trace ends.
 */
export function withTrace<T>(fn: () => T): T {
  traceDepth++;
  try {
    return fn();
  } finally {
    traceDepth--;
    if (traceDepth === 0) {
      for (const n of realizedWhileTracing) n.origin = undefined;
      realizedWhileTracing = [];
    }
  }
}

/** How many transforms' traces are open (nested), so a transform can tell if another started inside it. */
export function traceLevel(): number {
  return traceDepth;
}

/** Whether a transform is tracing. */
export function isTracing(): boolean {
  return traceDepth > 0;
}

/** The op, sources and parameters a node was made with (even if realized since). */
export function originOf(node: Node): Origin {
  return node.origin ?? node;
}

/** One operation in the lazy graph. */
export class Node {
  /** A unique, increasing id (also a topological order: sources are older). */
  readonly id: number;
  /** The primitive (`"buffer"` once realized). */
  op: OpName;
  /** The result's element type. */
  readonly dtype: DType;
  /** The result's shape. */
  readonly shape: Shape;
  /** The inputs, in order; emptied when the node is realized. */
  src: readonly Node[];
  /** The primitive's parameters (typed per op in `OpArgs`). */
  arg: unknown;
  #buffer: DataArray | undefined;
  /**
   * The result in host memory, once computed (on another device: data
   * waiting for upload). Reading it makes its values current (a buffer
   * updated in place in Wasm memory is copied back then: _host.ts).
   */
  get buffer(): DataArray | undefined {
    return syncHost(this.#buffer);
  }
  set buffer(buffer: DataArray | undefined) {
    this.#buffer = buffer;
  }
  /**
   * The host buffer as it is, maybe stale: for a compiled program's
   * launches, which read its current copy in Wasm memory instead.
   */
  get heldBuffer(): DataArray | undefined {
    return this.#buffer;
  }
  /** The result in device memory, once computed on (or uploaded to) another device. */
  deviceData: DeviceData | undefined;
  /** The device that holds the result and runs the kernels computing it. */
  readonly device: Device;
  /**
   * Whether the node is computed from constants only: such a node fits on
   * any device, like a scalar (realized, its host data is copied where needed).
   */
  neutral: boolean;
  /** Length of the longest unrealized chain below this node. */
  depth: number;
  /** The node's history, when it was realized during a trace. */
  origin: Origin | undefined;
  /**
   * Set when an in-place update took the node's buffer (see `donate`): the
   * error any later use throws.
   */
  donated: string | undefined;

  private constructor(
    op: OpName,
    dtype: DType,
    shape: Shape,
    src: readonly Node[],
    arg: unknown,
    device?: Device,
  ) {
    this.device = device ?? deviceOf(op, src);
    this.neutral = op === "const" || (src.length > 0 && src.every((s) => s.neutral));
    if (this.device !== "cpu" && dtype === "float64") {
      throw new TypeError(
        `Cannot make a float64 tensor on ${this.device} (in ${op}()): float64 is CPU-only: ` +
          `use float32 there, or keep float64 work on the cpu device`,
      );
    }
    this.id = nextId++;
    this.op = op;
    this.dtype = dtype;
    this.shape = shape;
    this.src = src;
    this.arg = arg;
    this.buffer = undefined;
    this.deviceData = undefined;
    this.origin = undefined;
    this.donated = undefined;
    let depth = 0;
    for (const s of src) {
      if (s.donated !== undefined) throw new Error(s.donated);
      if (s.depth + 1 > depth) depth = s.depth + 1;
    }
    this.depth = depth;
    if (captureSites) sites.set(this, { op, at: siteError(op) });
  }

  /**
   * Makes a node. NOTE: nodes are not interned globally: a WeakRef-based
   * intern table keeps every node alive until the current job ends, which
   * would grow without bound in a synchronous training loop.
   */
  static make<K extends OpName>(
    op: K,
    dtype: DType,
    shape: Shape,
    src: readonly Node[],
    arg: OpArgs[K],
    device?: Device,
  ): Node {
    return new Node(op, dtype, shape, Object.freeze([...src]), arg, device);
  }

  /**
   * A realized node holding `buffer` (never interned: each buffer is unique).
   * Host data on another device is uploaded when a kernel first reads it.
   */
  static fromBuffer(buffer: DataArray, dtype: DType, shape: Shape, device: Device = "cpu"): Node {
    const node = new Node("buffer", dtype, shape, [], undefined, device);
    node.buffer = buffer;
    return node;
  }

  /** A buffer node whose data is bound later (a jit argument). */
  static placeholder(dtype: DType, shape: Shape, device: Device = "cpu"): Node {
    return new Node("buffer", dtype, shape, [], undefined, device);
  }

  /**
   * Takes a realized cpu node's buffer for an in-place update: the node
   * holds no data after, and any later use throws `message`.
   * @returns the buffer, now the caller's
   */
  donate(message: string): DataArray {
    const buffer = this.#buffer!;
    this.buffer = undefined;
    this.deviceData = undefined;
    this.donated = message;
    return buffer;
  }

  /** Caches the computed buffer and forgets the sources (the one mutation). */
  setBuffer(buffer: DataArray): void {
    this.#realized();
    this.buffer = buffer;
  }

  /** Like `setBuffer`, for data in device memory (replacing host data waiting for upload). */
  setDeviceData(data: DeviceData): void {
    this.#realized();
    this.neutral = false;
    this.deviceData = data;
    this.buffer = undefined;
  }

  #realized(): void {
    if (traceDepth > 0 && this.op !== "buffer") {
      this.origin = { op: this.op, src: this.src, arg: this.arg };
      realizedWhileTracing.push(this);
    }
    this.op = "buffer";
    this.src = [];
    this.arg = undefined;
    this.depth = 0;
  }

  /** The number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
}

/**
 * The device of a node made from `src`: that of its sources not computed
 * from constants alone, which must agree (constants fit anywhere).
 */
function deviceOf(op: OpName, src: readonly Node[]): Device {
  let device: Device | undefined;
  for (let i = 0; i < src.length; i++) {
    const s = src[i];
    if (s.neutral || s.device === device) continue;
    if (device !== undefined) {
      const first = src.findIndex((t) => !t.neutral && t.device === device);
      throw new TypeError(mixedDevices(op, [device, s.device], [first, i]));
    }
    device = s.device;
  }
  return device ?? src[0]?.device ?? "cpu";
}

/** The error message for operands on different devices (shared with the frontend's checks). */
export function mixedDevices(
  op: string,
  devices: readonly [Device, Device],
  positions: readonly [number, number],
): string {
  const gpu = devices[0] === "cpu" ? devices[1] : devices[0];
  return `${op}() expected operands on one device: found ${devices[0]} at position ${
    positions[0]
  } and ${devices[1]} at position ${positions[1]}: move the cpu one with .to("${gpu}")`;
}

/** Whether a node's value is computed (in host or device memory). */
export function isRealized(node: Node): boolean {
  return node.heldBuffer !== undefined || node.deviceData !== undefined;
}

/** The unrealized nodes reachable from `roots`, sources before users. */
export function pendingNodes(roots: readonly Node[]): Node[] {
  const seen = new Set<Node>();
  const order: Node[] = [];
  const stack: [Node, number][] = roots.map((r) => [r, 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    if (next === 0 && seen.has(node)) {
      stack.pop();
      continue;
    }
    seen.add(node);
    if (next < node.src.length) {
      top[1]++;
      const child = node.src[next];
      if (child.donated !== undefined) throw new Error(child.donated);
      if (!seen.has(child) && !isRealized(child)) stack.push([child, 0]);
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}
