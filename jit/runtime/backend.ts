/**
 * The backend interface: everything `realize`, `jit` and `explain` ask of a
 * device's backend, so none of them branches on the device. The CPU backend
 * is `cpu/mod.ts`; the WebGPU one (`webgpu/mod.ts`, over `webgpu/device.ts`) is
 * loaded on demand by `realize.ts`.
 * @module
 */
import type { DataArray, DType } from "../../core/ir/dtype.ts";
import type { Node } from "../../core/ir/ir.ts";
import type { Kernel } from "../kernel.ts";

/** What runs a kernel: a CPU tier (`blas` for a large matmul's product) or the GPU. */
export type Tier = "wasm" | "js" | "blas" | "webgpu";

/** A traced program compiled for replay on one device. */
export interface Replay {
  /** Its kernels (for `explain`). */
  readonly kernels: readonly Kernel[];
  /** Whether it can still run (a lost GPU device invalidates it). */
  readonly valid: boolean;
  /** One call: the arguments' nodes in, a new node per output. */
  run(args: readonly Node[]): Node[];
}

/** One device's backend. */
export interface Backend {
  /** Computes the buffers of pending nodes on this device (a GPU only dispatches). */
  realize(nodes: readonly Node[]): void;
  /** The values of a realized node on this device. */
  read(node: Node): Promise<DataArray>;
  /**
   * Compiles a traced program: its argument placeholders and computed
   * outputs. An output may be written into the buffer of a `donated`
   * placeholder's argument (indices into `placeholders`) where liveness allows.
   */
  compile(
    placeholders: readonly Node[],
    outputs: readonly Node[],
    donated?: ReadonlySet<number>,
  ): Replay;
  /** The tier that runs a kernel and its threads (for `explain`). */
  place(kernel: Kernel): { readonly tier: Tier; readonly threads: number };
  /** Why the device cannot hold `dtype`, or `undefined` when it can. */
  dtypeGap(dtype: DType): string | undefined;
}
