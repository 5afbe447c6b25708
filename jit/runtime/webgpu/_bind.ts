/**
 * A compiled WebGPU program's bindings: where each pass finds its buffers,
 * their bind groups, and the one rewrite donation needs (an input the pass
 * also writes, as the same buffer, must be bound writable).
 * @module
 */

/** Where a program's pass finds a buffer: an argument, a call's output, or a buffer fixed at compile time. */
export type Slot = { kind: "arg"; index: number } | { kind: "out"; index: number } | {
  kind: "fixed";
  buffer: GPUBuffer;
};

/**
 * A pass's bind group for one call.
 * @param d the device
 * @param pipeline the pass's pipeline
 * @param bindings its slots, in binding order
 * @param args the call's argument buffers
 * @param outs the call's output buffers
 * @returns the bind group
 */
export function bindGroup(
  d: GPUDevice,
  pipeline: GPUComputePipeline,
  bindings: readonly Slot[],
  args: readonly GPUBuffer[],
  outs: readonly GPUBuffer[],
): GPUBindGroup {
  const entries = bindings.map((s, binding) => ({
    binding,
    resource: {
      buffer: s.kind === "fixed" ? s.buffer : s.kind === "arg" ? args[s.index] : outs[s.index],
    },
  }));
  return d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
}

/**
 * A pass's WGSL with input `input` declared `read_write`: WebGPU refuses one
 * buffer bound both read-only and writable in a dispatch, so a donated
 * argument the pass reads and writes (its output takes the argument's
 * buffer) is bound writable twice.
 * @param source the pass's WGSL
 * @param input the kernel input's index
 * @returns the WGSL, or undefined when the pass does not declare that input
 */
export function writableInput(source: string, input: number): string | undefined {
  const from = `var<storage, read> lt_in${input}:`;
  if (!source.includes(from)) return undefined;
  return source.replace(from, `var<storage, read_write> lt_in${input}:`);
}
