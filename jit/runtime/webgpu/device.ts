/**
 * The WebGPU backend: adapter and device setup (lazy, async), a pool of
 * storage buffers, pipelines cached by the kernel's structure (`kernelKey`), dispatch and async
 * readback. A node's GPU buffer goes back to the pool when the node is
 * garbage-collected (a `FinalizationRegistry`): users never dispose.
 * Dispatching is synchronous (queue submission is); only reading is async.
 * `compileGpuProgram` fixes a schedule's dispatches once, for jit's replay.
 * Loaded with `await import()` by `realize.ts`, so CPU-only programs never
 * touch it.
 * @module
 */
import type { DataArray, DType } from "../../../core/ir/dtype.ts";
import type { DeviceData, Node } from "../../../core/ir/ir.ts";
import { sizeOf } from "../../../core/ir/shape.ts";
import { type Kernel, kernelKey } from "../../kernel.ts";
import { renderWgsl, type WgslRef } from "../../codegen/wgsl/mod.ts";
import { openDevice, type WebGpuOptions } from "./_open.ts";
import { fromGpuData, gpuCopyBytes, toGpuData } from "./_data.ts";
import { donatedBuffer, planDonation } from "../../_donation.ts";
import { bindGroup, type Slot, writableInput } from "./_bind.ts";
import { IndexRangeError } from "../../_index_error.ts";

export type { WebGpuOptions };

/** A node's data in GPU memory (as `_data.ts` lays it out). */
interface GpuData extends DeviceData {
  readonly device: "webgpu";
  readonly buffer: GPUBuffer;
}

const STORAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const MAP_READ = 0x1 | 0x8; // MAP_READ | COPY_DST
const MAX_POOLED_BYTES = 256 << 20;
const MAX_POOLED_PER_SIZE = 64;
const MAX_PIPELINES = 1024;

let device: GPUDevice | undefined;
let lost: string | undefined;
const pool = new Map<number, GPUBuffer[]>();
let pooledBytes = 0;
/** Pipelines by `kernelKey` and pass; the source is kept to catch a key that misses a field. */
const pipelines = new Map<string, { source: string; pipeline: GPUComputePipeline }>();
const stats = { live: 0, dispatches: 0 };
/** Validation results of submitted work, checked at the next readback. */
let scopes: Promise<GPUError | null>[] = [];
/** The gathered-index error flag `[set, index, extent, site]`, when a kernel checks indices. */
let errorFlag: GPUBuffer | undefined;
let flagWritten = false;

/**
 * Opens the adapter and device (once).
 * @param options where to find WebGPU
 * @returns `undefined` when ready, else why WebGPU is unavailable
 */
export function initWebGpu(options: WebGpuOptions = {}): Promise<string | undefined> {
  if (device !== undefined && lost === undefined) return Promise.resolve(undefined);
  // concurrent callers share one attempt
  opening ??= open(options).finally(() => (opening = undefined));
  return opening;
}

let opening: Promise<string | undefined> | undefined;
let halfGap: string | undefined;

/** Why the open device cannot hold `dtype`, or `undefined` when it can. */
export function dtypeGap(dtype: DType): string | undefined {
  return dtype === "float16" ? halfGap : undefined;
}
const noHalf = "this WebGPU adapter lacks the shader-f16 feature: " +
  "use float32 on webgpu, or keep float16 work on the cpu device";

async function open(options: WebGpuOptions): Promise<string | undefined> {
  const opened = await openDevice(options);
  if (typeof opened === "string") return opened;
  device = opened;
  halfGap = device.features.has("shader-f16") ? undefined : noHalf;
  lost = undefined;
  device.lost.then((info) => (lost = info.message || info.reason));
  pool.clear();
  pooledBytes = 0;
  pipelines.clear();
  errorFlag = undefined;
  return undefined;
}

/** Counters for tests: live node buffers (not yet collected), pooled buffers, cached pipelines, dispatches. */
export function webgpuStats(): {
  liveBuffers: number;
  pooledBuffers: number;
  pipelines: number;
  dispatches: number;
} {
  const pooled = [...pool.values()].reduce((n, list) => n + list.length, 0);
  return {
    liveBuffers: stats.live,
    pooledBuffers: pooled,
    pipelines: pipelines.size,
    dispatches: stats.dispatches,
  };
}

function gpuDevice(): GPUDevice {
  if (lost !== undefined) throw new Error(`The WebGPU device was lost: ${lost}`);
  if (device === undefined) {
    throw new Error('WebGPU is not initialized: call await device("webgpu") first');
  }
  return device;
}

function sizeClass(bytes: number): number {
  return Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
}

function acquire(bytes: number): GPUBuffer {
  const size = sizeClass(bytes);
  const reused = pool.get(size)?.pop();
  if (reused !== undefined) {
    pooledBytes -= size;
    return reused;
  }
  return gpuDevice().createBuffer({ size, usage: STORAGE });
}

function release(buffer: GPUBuffer): void {
  const list = pool.get(buffer.size) ?? [];
  const full = list.length >= MAX_POOLED_PER_SIZE || pooledBytes + buffer.size > MAX_POOLED_BYTES;
  if (device === undefined || full) {
    buffer.destroy();
    return;
  }
  pooledBytes += buffer.size;
  list.push(buffer);
  pool.set(buffer.size, list);
}

const registry = new FinalizationRegistry<GPUBuffer>((buffer) => {
  stats.live--;
  release(buffer);
});

function newData(bytes: number): GpuData {
  const data: GpuData = { device: "webgpu", buffer: acquire(bytes) };
  stats.live++;
  registry.register(data, data.buffer);
  return data;
}

function write(buffer: GPUBuffer, data: ArrayBufferView): void {
  const bytes = data.buffer as ArrayBuffer;
  gpuDevice().queue.writeBuffer(buffer, 0, bytes, data.byteOffset, data.byteLength);
}

/** Copies host data to a new GPU buffer. */
function upload(values: DataArray, dtype: DType): GpuData {
  const words = toGpuData(values, dtype);
  const data = newData(words.byteLength);
  if (words.byteLength > 0) write(data.buffer, words);
  return data;
}

/** A kernel input's GPU buffer (from `local`, or uploading host data on first use). */
function inputBuffer(node: Node, local: Map<Node, GpuData>): GPUBuffer {
  const mine = local.get(node);
  if (mine !== undefined) return mine.buffer;
  if (node.deviceData !== undefined) return (node.deviceData as GpuData).buffer;
  if (node.buffer === undefined) {
    throw new Error(
      `WebGPU kernel input (${node.op} on ${node.device}) has no data (internal error)`,
    );
  }
  const data = upload(node.buffer, node.dtype);
  // constant expressions computed on the cpu (any device may read them) are copied for this run
  if (node.device === "webgpu" && !node.neutral) node.setDeviceData(data);
  else local.set(node, data);
  return data.buffer;
}

/**
 * The pipeline of pass `pass` of a kernel with structure `key` (its `kernelKey`: constants are
 * read from a buffer, so kernels that differ only in them share one). Throws if the same key
 * ever renders other WGSL, so a field missing from `kernelKey` cannot run the wrong code.
 */
function pipelineFor(
  key: string,
  source: string,
  reads: number,
  extras: number,
  checks: boolean,
  writable = 0,
): GPUComputePipeline {
  const cached = pipelines.get(key);
  if (cached !== undefined) {
    if (cached.source !== source) {
      throw new Error(
        `WebGPU pipeline cache: two kernels with the same structural key render different WGSL ` +
          `(internal error: kernelKey in jit/kernel.ts misses a field the WGSL renderer reads); ` +
          `key ${key.slice(0, 200)}`,
      );
    }
    return cached.pipeline;
  }
  const d = gpuDevice();
  const count = 1 + reads + extras;
  const entries: GPUBindGroupLayoutEntry[] = Array.from({ length: count }, (_, i) => ({
    binding: i,
    visibility: 0x4, // COMPUTE
    buffer: {
      type: i === 0 || i === writable || (checks && i === count - 1)
        ? "storage"
        : "read-only-storage",
    },
  }));
  const layout = d.createPipelineLayout({
    bindGroupLayouts: [d.createBindGroupLayout({ entries })],
  });
  const module = d.createShaderModule({ code: source });
  const pipeline = d.createComputePipeline({ layout, compute: { module, entryPoint: "main" } });
  if (pipelines.size >= MAX_PIPELINES) pipelines.delete(pipelines.keys().next().value!);
  pipelines.set(key, { source, pipeline });
  return pipeline;
}

function flagBuffer(d: GPUDevice): GPUBuffer {
  errorFlag ??= d.createBuffer({ size: 16, usage: STORAGE });
  flagWritten = true;
  return errorFlag;
}

/**
 * Runs kernels in order on the GPU (one submission); each output node gets its buffer.
 * @param kernels a schedule from `schedule()` whose nodes are on webgpu
 */
export function runKernels(kernels: readonly Kernel[]): void {
  const d = gpuDevice();
  d.pushErrorScope("out-of-memory");
  d.pushErrorScope("validation");
  const encoder = d.createCommandEncoder();
  const pass = encoder.beginComputePass();
  const temps: GPUBuffer[] = [];
  // constant expressions (cpu nodes usable anywhere) computed here stay local to this run
  const local = new Map<Node, GpuData>();
  for (const kernel of kernels) {
    const plan = renderWgsl(kernel, { maxBuffers: d.limits.maxStorageBuffersPerShaderStage });
    const key = kernelKey(kernel);
    const out = newData(gpuCopyBytes(kernel.dtype, sizeOf(kernel.shape)));
    const inputs = kernel.inputs.map((n) => inputBuffer(n, local));
    const scratch = plan.scratch.map((s) => acquire(s.size * 4));
    temps.push(...scratch);
    const resolve = (ref: WgslRef) =>
      ref.kind === "output"
        ? out.buffer
        : ref.kind === "input"
        ? inputs[ref.index]
        : scratch[ref.index];
    for (const [i, p] of plan.passes.entries()) {
      const buffers = [resolve(p.write), ...p.reads.map(resolve)];
      if (p.constants.length > 0) {
        const c = acquire(p.constants.byteLength);
        write(c, p.constants);
        temps.push(c);
        buffers.push(c);
      }
      if (p.checksIndex) buffers.push(flagBuffer(d));
      const extras = buffers.length - 1 - p.reads.length;
      const pipeline = pipelineFor(`${key}#${i}`, p.source, p.reads.length, extras, p.checksIndex);
      const entries = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(...p.workgroups);
      stats.dispatches++;
    }
    if (kernel.output.device === "webgpu") kernel.output.setDeviceData(out);
    else local.set(kernel.output, out);
  }
  pass.end();
  d.queue.submit([encoder.finish()]);
  // later submissions run after this one, so the temporaries may be reused now
  for (const t of temps) release(t);
  scopes.push(d.popErrorScope(), d.popErrorScope());
}

/**
 * Reads a realized node's values back to host memory.
 * @param node a realized node on webgpu
 * @returns its values, in the dtype's TypedArray
 */
export async function readNode(node: Node): Promise<DataArray> {
  if (node.buffer !== undefined) return node.buffer;
  const d = gpuDevice();
  const data = node.deviceData as GpuData;
  const n = sizeOf(node.shape);
  const bytes = gpuCopyBytes(node.dtype, n);
  const staging = d.createBuffer({ size: Math.max(bytes, 4) + 16, usage: MAP_READ });
  const encoder = d.createCommandEncoder();
  if (bytes > 0) encoder.copyBufferToBuffer(data.buffer, 0, staging, 0, bytes);
  const checkFlag = flagWritten && errorFlag !== undefined;
  if (checkFlag) {
    encoder.copyBufferToBuffer(errorFlag!, 0, staging, Math.max(bytes, 4), 16);
    encoder.clearBuffer(errorFlag!);
    flagWritten = false;
  }
  d.queue.submit([encoder.finish()]);
  const pending = scopes;
  scopes = [];
  const errors = await Promise.all(pending);
  await staging.mapAsync(0x1); // READ
  const words = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  const error = errors.find((e) => e !== null);
  if (error) throw new Error(`WebGPU rejected a kernel: ${error.message}`);
  if (lost !== undefined) throw new Error(`The WebGPU device was lost: ${lost}`);
  const flag = new Int32Array(words, Math.max(bytes, 4), 4);
  if (checkFlag && flag[0] !== 0) {
    const [, i, extent, site] = flag;
    throw new IndexRangeError(i, extent, site);
  }
  return fromGpuData(words, node.dtype, n);
}

// --- compiled programs (jit replay) ------------------------------------------

interface Step {
  readonly pipeline: GPUComputePipeline;
  /** With a donated input bound writable: the output it takes, and the pipeline of a call that writes a fresh buffer. */
  readonly donated?: { readonly out: number; readonly plain: GPUComputePipeline };
  readonly bindings: readonly Slot[];
  /** Created once where every binding is fixed, else per call. */
  readonly group: GPUBindGroup | undefined;
  readonly workgroups: readonly [number, number, number];
}

/** A compiled GPU program: argument nodes in, the outputs' device data (fresh buffers) out. */
export interface GpuProgram {
  /** Encodes the fixed dispatches in one command buffer and submits it. */
  run(args: readonly Node[]): DeviceData[];
  /** Whether the device it was compiled on is still the open one. */
  readonly valid: boolean;
}

/** A collected program's buffers go back to the pool; its captured constants are held until then. */
const programBuffers = new FinalizationRegistry<
  { d: GPUDevice; buffers: GPUBuffer[]; held: GpuData[] }
>(({ d, buffers }) => {
  for (const b of buffers) {
    if (d === device) release(b);
    else b.destroy();
  }
});

/** A realized webgpu node's buffer (uploading host data waiting for it). */
function nodeData(node: Node): GpuData {
  if (node.deviceData !== undefined) return node.deviceData as GpuData;
  if (node.buffer === undefined) {
    throw new Error(`WebGPU program input (${node.op}) has no data (internal error)`);
  }
  const data = upload(node.buffer, node.dtype);
  if (node.device === "webgpu" && !node.neutral) node.setDeviceData(data);
  return data;
}

/**
 * Compiles a schedule for replay: pipelines, intermediate and scratch
 * buffers, constants and the bind groups that touch no argument or output
 * are made once; each run allocates only the outputs' buffers.
 * @param kernels the schedule of `outputs` (on webgpu)
 * @param args the placeholder nodes standing for the arguments
 * @param outputs the kernel outputs each run returns
 * @param donated arguments whose buffers a one-pass kernel's output may take (_donation.ts)
 * @returns the program
 */
export function compileGpuProgram(
  kernels: readonly Kernel[],
  args: readonly Node[],
  outputs: readonly Node[],
  donated: ReadonlySet<number> = new Set(),
): GpuProgram {
  const donatedTo = planDonation(kernels, args, outputs, donated);
  const outArg = new Map<number, number>(); // output index -> the argument whose buffer it takes
  const d = gpuDevice();
  d.pushErrorScope("out-of-memory");
  d.pushErrorScope("validation");
  const owned: GPUBuffer[] = [];
  const own = (bytes: number) => {
    const b = acquire(bytes);
    owned.push(b);
    return b;
  };
  const held: GpuData[] = []; // captured constants, kept alive with the program
  const slots = new Map<Node, Slot>();
  args.forEach((n, index) => slots.set(n, { kind: "arg", index }));
  const used = new Set<number>();
  const outIndex = new Map<Node, number>();
  for (const n of outputs) if (!outIndex.has(n)) outIndex.set(n, outIndex.size);
  const outSizes = new Array<number>(outIndex.size).fill(0);
  const slotOf = (n: Node): Slot => {
    const slot = slots.get(n);
    if (slot?.kind === "arg") used.add(slot.index);
    if (slot !== undefined) return slot;
    const data = nodeData(n);
    held.push(data);
    const fixed: Slot = { kind: "fixed", buffer: data.buffer };
    slots.set(n, fixed);
    return fixed;
  };
  let checks = false;
  const steps: Step[] = [];
  for (const kernel of kernels) {
    const plan = renderWgsl(kernel, { maxBuffers: d.limits.maxStorageBuffersPerShaderStage });
    const key = kernelKey(kernel);
    const size = sizeOf(kernel.shape);
    const index = outIndex.get(kernel.output);
    const to = donatedTo[kernels.indexOf(kernel)];
    // NOTE: only one pass: a later pass could read the argument after an earlier one wrote it
    if (index !== undefined && to >= 0 && plan.passes.length === 1) outArg.set(index, to);
    const bytes = gpuCopyBytes(kernel.dtype, size);
    if (index !== undefined) outSizes[index] = bytes;
    const out: Slot = index !== undefined
      ? { kind: "out", index }
      : { kind: "fixed", buffer: own(bytes) };
    const inputs = kernel.inputs.map(slotOf);
    const scratch = plan.scratch.map((s) => own(s.size * 4));
    const resolve = (ref: WgslRef): Slot =>
      ref.kind === "output"
        ? out
        : ref.kind === "input"
        ? inputs[ref.index]
        : { kind: "fixed", buffer: scratch[ref.index] };
    for (const [i, p] of plan.passes.entries()) {
      const bindings = [resolve(p.write), ...p.reads.map(resolve)];
      if (p.constants.length > 0) {
        const c = own(p.constants.byteLength);
        write(c, p.constants);
        bindings.push({ kind: "fixed", buffer: c });
      }
      if (p.checksIndex) bindings.push({ kind: "fixed", buffer: flagBuffer(d) });
      checks ||= p.checksIndex;
      const extras = bindings.length - 1 - p.reads.length;
      const plain = pipelineFor(`${key}#${i}`, p.source, p.reads.length, extras, p.checksIndex);
      // an input that is the donated argument the output takes is bound writable (_bind.ts)
      const j = index !== undefined && outArg.has(index) ? kernel.inputs.indexOf(args[to]) : -1;
      const rw = j < 0 ? 0 : 1 + p.reads.findIndex((r) => r.kind === "input" && r.index === j);
      const source = rw > 0 ? writableInput(p.source, j) : undefined;
      const pipeline = source === undefined
        ? plain
        : pipelineFor(`${key}#${i}@rw${rw}`, source, p.reads.length, extras, p.checksIndex, rw);
      const donated = pipeline === plain ? undefined : { out: index!, plain };
      const fixed = bindings.every((s) => s.kind === "fixed");
      const group = fixed ? bindGroup(d, pipeline, bindings, [], []) : undefined;
      steps.push({ pipeline, bindings, group, workgroups: p.workgroups, donated });
    }
    slots.set(kernel.output, out);
  }
  scopes.push(d.popErrorScope(), d.popErrorScope());
  const results = outputs.map((n) => outIndex.get(n)!);
  const program: GpuProgram = {
    get valid() {
      return d === device && lost === undefined;
    },
    run(argNodes) {
      if (gpuDevice() !== d) throw new Error("The WebGPU device changed since jit compiled");
      // arguments the kernels do not read are not uploaded
      const argData = argNodes.map((n, i) => (used.has(i) ? nodeData(n) : undefined));
      const argBuffers = argData.map((a) => a?.buffer as GPUBuffer);
      const mine = (j: number) =>
        donatedBuffer(argBuffers, outArg.get(j), (b) => held.some((h) => h.buffer === b));
      const outs = outSizes.map((b, j) => mine(j) ? argData[outArg.get(j)!]! : newData(b));
      const outBuffers = outs.map((o) => o.buffer);
      d.pushErrorScope("out-of-memory");
      d.pushErrorScope("validation");
      const encoder = d.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (const s of steps) {
        const pipeline = s.donated && !mine(s.donated.out) ? s.donated.plain : s.pipeline;
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, s.group ?? bindGroup(d, pipeline, s.bindings, argBuffers, outBuffers));
        pass.dispatchWorkgroups(...s.workgroups);
      }
      pass.end();
      d.queue.submit([encoder.finish()]);
      stats.dispatches += steps.length;
      if (checks) flagWritten = true;
      scopes.push(d.popErrorScope(), d.popErrorScope());
      return results.map((i) => outs[i]);
    },
  };
  programBuffers.register(program, { d, buffers: owned, held });
  return program;
}
